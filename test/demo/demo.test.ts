// The README's first command keeps working: both demos run to the end on real clusters and say
// what they promise, and the data-plane one leaves no network behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runToEnd } from '../../harness/src/util/process.ts';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { prerequisite } from '../../harness/src/util/prerequisite.ts';

const demo = new URL('../../demo/demo.ts', import.meta.url).pathname;

async function runDemo(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await runToEnd(process.execPath, [demo, ...args]);
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

test('npm run demo: replicas both ways, doctor green, run follows a rescheduled pod', async () => {
  const { code, out } = await runDemo([]);
  assert.equal(code, 0, out);
  assert.match(out, /4 export\(s\), 11 write\(s\)/);
  assert.match(out, /\d+ pass, 0 warn, 0 fail/, 'doctor is all green');
  assert.match(out, /backend endpoints in eks1 after: .*\(no second sync needed\)/);
});

test('npm run demo -- --dataplane: calls by name cross the flat network untranslated, then it all goes', { skip: prerequisite('the data plane', dataPlaneUnsupported()) }, async () => {
  const { code, out } = await runDemo(['--dataplane']);
  assert.equal(code, 0, out);
  assert.match(out, /eks1\/client-0 \(10\.101\.\d+\.\d+\) resolves frontend\.stars: 10\.201\.\d+\.\d+ \(from eks1's CoreDNS\)/);
  assert.match(out, /-> onprem1\/frontend-\d .* it saw the caller as 10\.101\.\d+\.\d+, its own pod IP: no NAT/);
  assert.match(out, /-> eks1\/management-ui-0 .* its own pod IP: no NAT/);
  assert.doesNotMatch(out, /TRANSLATED/);
  assert.match(out, /every call from eks1 lands on live pods/);
  assert.match(out, /torn down/);
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(netns, /^mcsync-/m, 'no namespace left');
});
