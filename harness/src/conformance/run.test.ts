// The runner's pieces that need no cluster: the merged kubeconfig, the suite's arguments, the
// source hash that keys the binary cache, and the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigText } from '../controlplane/kubeconfig.ts';
import { locate } from '../controlplane/components.ts';
import { scratchDir } from '../util/tempdir.ts';
import { prerequisite } from '../util/prerequisite.ts';
import { conformanceSourceDir, sourceHash } from './build.ts';
import { conformanceArgs, mergedKubeconfigText } from './run.ts';
import { renderTable } from './table.ts';

function kubeconfigs(dir: string, names: string[]): { name: string; kubeconfigPath: string }[] {
  const ca = join(dir, 'ca.crt');
  writeFileSync(ca, 'not a real certificate');
  return names.map((name, i) => {
    const kubeconfigPath = join(dir, `${name}.kubeconfig`);
    writeFileSync(kubeconfigPath, kubeconfigText(name, `https://127.0.0.1:${6440 + i}`, ca, { name: 'admin', token: `t-${name}` }));
    return { name, kubeconfigPath };
  });
}

test('the merged kubeconfig has one context per cluster, named after it, with its own server and user', () => {
  const dir = scratchDir();
  // Both inputs name their user `admin`: the merge renames users after the clusters too.
  const merged = JSON.parse(mergedKubeconfigText(kubeconfigs(dir, ['a', 'y']))) as {
    clusters: { name: string; cluster: { server: string } }[]; users: { name: string; user: { token: string } }[];
    contexts: { name: string; context: { cluster: string; user: string } }[]; 'current-context': string;
  };
  assert.deepEqual(merged.contexts, [{ name: 'a', context: { cluster: 'a', user: 'a' } }, { name: 'y', context: { cluster: 'y', user: 'y' } }]);
  assert.deepEqual(merged.clusters.map((c) => [c.name, c.cluster.server]), [['a', 'https://127.0.0.1:6440'], ['y', 'https://127.0.0.1:6441']]);
  assert.deepEqual(merged.users.map((u) => [u.name, u.user.token]), [['a', 't-a'], ['y', 't-y']]);
  assert.equal(merged['current-context'], 'a');
});

const kubectl = locate('kubectl');
test('kubectl reads the merged kubeconfig, a cluster named y staying a string', { skip: prerequisite('kubectl', kubectl ? undefined : 'none at the pinned version (npm run clusters -- build makes one)') }, () => {
  const dir = scratchDir();
  const path = join(dir, 'merged.kubeconfig');
  writeFileSync(path, mergedKubeconfigText(kubeconfigs(dir, ['a', 'y'])));
  const out = spawnSync(kubectl!, ['config', 'get-contexts', '-o', 'name', '--kubeconfig', path], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(out.stdout.trim().split('\n'), ['a', 'y']);
});

test('the suite is told the contexts in order, the first being the exporting cluster', () => {
  const args = conformanceArgs({ clusters: [{ name: 'a', kubeconfigPath: '' }, { name: 'b', kubeconfigPath: '' }], labelFilter: '!DNS', skip: 'x' }, '/k', '/j.xml');
  assert.equal(args[args.indexOf('-contexts') + 1], 'a,b');
  assert.equal(args[args.indexOf('-kubeconfig') + 1], '/k');
  assert.ok(args.includes('--ginkgo.junit-report=/j.xml'));
  assert.ok(args.includes('--ginkgo.label-filter=!DNS'));
  assert.ok(args.includes('--ginkgo.skip=x'));
});

let sources: string | undefined;
let noSources: string | undefined;
try {
  sources = conformanceSourceDir();
} catch (err) {
  noSources = (err as Error).message;
}
test('any change to the suite\'s sources changes the hash that keys the cached binary', { skip: prerequisite('the MCS conformance sources', noSources) }, () => {
  const copy = scratchDir();
  cpSync(sources!, copy, { recursive: true });
  const before = sourceHash(copy);
  assert.equal(sourceHash(sources!), before, 'the hash depends on content, not location');
  writeFileSync(join(copy, 'extra.go'), 'package conformance\n');
  assert.notEqual(sourceHash(copy), before);
});

test('the table has one row per spec and escapes pipes in reasons', () => {
  const md = renderTable([
    { name: 'A spec', labels: ['Required'], result: 'pass', status: 'passed', reason: '', seconds: 1 },
    { name: 'B spec', labels: ['Optional', 'DNS'], result: 'fail', status: 'failed', reason: 'got a | b', seconds: 2 },
  ], { title: 'T', notes: ['n'] });
  assert.match(md, /^# T\n/);
  assert.match(md, /1 passed, 1 failed, 0 skipped of 2 specs\./);
  assert.match(md, /\| A spec \| Required \| pass \|  \|/);
  assert.match(md, /\| B spec \| Optional, DNS \| FAIL \| got a \\\| b \|/);
});
