// One hung destination must not stall the others: a exports to b and c, c's kube-apiserver is
// frozen with SIGSTOP (it keeps its sockets, so requests are accepted and never answered), and
// every change in a must still reach b within a bounded wait, again and again, while c's items
// run into their request timeout and retry. After SIGCONT, c converges to exactly the final
// state. The latency of each change is printed (measured, not asserted).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { addressMap, apis, replicasAre, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const ns = 'iso';
/** Changes made while c is hung, one after the other, each waited for in b. */
const CHANGES = 12;
/** c stays hung at least this long, so its items run into their request timeout (10 s) and back off. */
const HUNG_MS = 14_000;
/**
 * How long one change may take from a's slices to b's. Head-of-line blocking would hold each
 * change behind c's unanswered request, which gives up only after 10 s; with the destinations
 * apart a change takes well under a second even on a loaded machine. A bound, not a speed.
 */
const BOUND_MS = 8_000;

let set: ClusterSet;
let A: Apis, B: Apis, C: Apis;
let podsA: Pods;
let ctl: RunningController;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b', 'c'] });
  [A, B, C] = ['a', 'b', 'c'].map((n) => apis(set.get(n))) as [Apis, Apis, Apis];
  podsA = new Pods(set.get('a'));
  await podsA.ensureNamespace(ns);
  await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
  const cluster = (name: string, extra: string[] = []) => [`- name: ${name}`, `  kubeconfig: ${set.get(name).kubeconfigPath}`, ...extra];
  const config = ['instance: iso', 'controller:', '  watchTimeout: 2s', 'clusters:',
    ...cluster('a', ['  services:', `  - namespace: ${ns}`]), ...cluster('b'), ...cluster('c')].join('\n') + '\n';
  ctl = await startController(['--config', writeConfig(config)]);
  await ctl.ready();
});

after(async () => {
  await ctl?.stop('SIGTERM');
  await set?.down();
});

const text = (m: Record<string, boolean>) => JSON.stringify(Object.entries(m).sort());

/** What the controller said that explains a change that did not arrive: warnings, errors and writes. */
function controllerStory(since: number): string {
  return ctl.logs
    .filter((l) => Date.parse(String(l.time)) >= since && ((l.level ?? 0) >= 40 || l.msg === 'replica changed'))
    .slice(-40)
    .map((l) => JSON.stringify(l))
    .join('\n');
}

/**
 * Makes the change, waits for a's own slices to hold it (a's controller-manager writes them, in
 * its own time: not what is tested here), then waits at most BOUND_MS for b's replica slices to
 * show it; returns the milliseconds from a's slices to b's. A miss says what b held and what the
 * controller logged.
 */
async function inB(what: string, change: () => Promise<unknown>, want: Record<string, boolean>): Promise<number> {
  const since = Date.now();
  await change();
  await waitFor(async () => text(addressMap(await slicesOf(A, ns, 'web'))) === text(want), { what: `${what}: a's own slices`, intervalMs: 20 });
  const t0 = performance.now();
  let seen: Record<string, boolean> = {};
  while (performance.now() - t0 < BOUND_MS) {
    seen = addressMap(await slicesOf(B, ns, 'web', REPLICA_SLICES));
    if (text(seen) === text(want)) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail([
    `${what}: b did not show ${text(want)} within ${BOUND_MS} ms of a's slices showing it; b held ${text(seen)}`,
    'controller warnings, errors and writes since the change:', controllerStory(since),
  ].join('\n'));
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

test('with c frozen, every change in a still reaches b within a bounded wait, and c converges once it thaws', async (t) => {
  const ip0 = (await podsA.create({ namespace: ns, name: 'web-0', labels: { app: 'web' } })).status!.podIP!;
  for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip0]: true }, 'initial replica');
  const want: Record<string, boolean> = { [ip0]: true };
  const toggle = (label: string) => {
    want[ip0] = !want[ip0];
    const ready = want[ip0];
    return inB(label, () => podsA.setReady(ns, 'web-0', ready), want);
  };

  // A new endpoint, not only a readiness flip.
  const newPod = (label: string, name: string) => inB(label, async () => {
    const ip = (await podsA.create({ namespace: ns, name, labels: { app: 'web' } })).status!.podIP!;
    want[ip] = true;
  }, want);

  const healthy: number[] = [];
  for (let i = 0; i < 4; i++) healthy.push(await toggle(`c healthy, toggle ${i + 1}`));

  const apiserver = set.running.find((c) => c.name === 'c')!.processes[1]!;
  assert.equal(readFileSync(`/proc/${apiserver.pid}/comm`, 'utf8').trim(), 'kube-apiserver');
  const hung: number[] = [];
  process.kill(apiserver.pid, 'SIGSTOP');
  const frozenAt = performance.now();
  try {
    for (let i = 0; i < CHANGES; i++) hung.push(await toggle(`c hung, toggle ${i + 1}`));
    hung.push(await newPod('c hung, a second pod', 'web-1'));
    // Past c's request timeout: its items have failed and are backing off; b must not notice.
    const left = HUNG_MS - (performance.now() - frozenAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    for (let i = 0; i < 3; i++) hung.push(await toggle(`c hung past its request timeout, toggle ${i + 1}`));
    hung.push(await newPod('c hung past its request timeout, a third pod', 'web-2'));
  } finally {
    process.kill(apiserver.pid, 'SIGCONT');
  }

  const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;
  for (const line of [`a's slices → b's, c healthy: ${fmt(healthy)}`, `a's slices → b's, c hung:    ${fmt(hung)}`]) t.diagnostic(line);

  await replicasAre(C, ns, 'web', want, 'c converges to the final state after SIGCONT');
  await replicasAre(B, ns, 'web', want, 'b holds the final state');
});
