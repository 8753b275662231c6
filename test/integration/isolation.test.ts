// One hung destination must not stall the others: a exports to b and c, c's kube-apiserver is
// frozen with SIGSTOP (it keeps its sockets, so requests are accepted and never answered), and
// pod changes in a must keep reaching b as fast as with c healthy. After SIGCONT, c converges
// to exactly the final state. Prints p50/p99 of change → replica in b, c healthy vs c hung.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startClusterSet, type ClusterSet } from '../../harness/src/clusterset.ts';
import { Pods } from '../../harness/src/pods.ts';
import { startController, type RunningController } from '../../harness/src/mcsync-controller.ts';
import { writeConfig } from '../../harness/src/mcsync-cli.ts';
import { addressMap, apis, replicasAre, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const ns = 'iso';
/** Changes timed per phase; c stays hung for at least HUNG_MS so its items time out (10 s) and retry. */
const CHANGES = 12;
const HUNG_MS = 14_000;

let set: ClusterSet;
let B: Apis, C: Apis;
let podsA: Pods;
let ctl: RunningController;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b', 'c'] });
  [B, C] = ['b', 'c'].map((n) => apis(set.get(n))) as [Apis, Apis];
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

/** Milliseconds from just before the change until b's replica slices show `want`. */
async function timedInB(change: () => Promise<unknown>, want: Record<string, boolean>): Promise<number> {
  const t0 = performance.now();
  await change();
  for (;;) {
    if (text(addressMap(await slicesOf(B, ns, 'web', REPLICA_SLICES))) === text(want)) return performance.now() - t0;
    if (performance.now() - t0 > 60_000) assert.fail(`b never showed ${text(want)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Toggles web-0's readiness CHANGES times, timing each change until it is in b. */
async function toggles(ip: string, ready: { now: boolean }): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    ready.now = !ready.now;
    const r = ready.now;
    out.push(await timedInB(() => podsA.setReady(ns, 'web-0', r), { [ip]: r }));
  }
  return out;
}

test('with c frozen, b keeps its propagation latency, and c converges once it thaws', async (t) => {
  const ip = (await podsA.create({ namespace: ns, name: 'web-0', labels: { app: 'web' } })).status!.podIP!;
  for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip]: true }, 'initial replica');
  const ready = { now: true };

  const healthy = await toggles(ip, ready);

  const apiserver = set.running.find((c) => c.name === 'c')!.processes[1]!;
  assert.equal(readFileSync(`/proc/${apiserver.pid}/comm`, 'utf8').trim(), 'kube-apiserver');
  let hung: number[] = [];
  let ip1 = '';
  process.kill(apiserver.pid, 'SIGSTOP');
  const frozenAt = performance.now();
  try {
    hung = await toggles(ip, ready);
    ip1 = (await podsA.create({ namespace: ns, name: 'web-1', labels: { app: 'web' } })).status!.podIP!;
    hung.push(await timedInB(async () => {}, { [ip]: ready.now, [ip1]: true }));
    // Long enough for c's items to run into their request timeout and retry with backoff.
    const left = HUNG_MS - (performance.now() - frozenAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    hung.push(await timedInB(() => podsA.setReady(ns, 'web-0', (ready.now = !ready.now)), { [ip]: ready.now, [ip1]: true }));
  } finally {
    process.kill(apiserver.pid, 'SIGCONT');
  }

  const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;
  const report = [`propagation a→b, c healthy: ${fmt(healthy)}`, `propagation a→b, c hung:    ${fmt(hung)}`];
  for (const line of report) { console.log(line); t.diagnostic(line); }

  // Head-of-line blocking would hold the key's second change behind c's 10 s request timeout.
  assert.ok(Math.max(...hung) < 5_000, `every change reached b within 5 s while c was hung: ${hung.map((x) => x.toFixed(0)).join(', ')}`);
  const final = { [ip]: ready.now, [ip1]: true };
  await replicasAre(C, ns, 'web', final, 'c converges to the final state after SIGCONT');
  await replicasAre(B, ns, 'web', final, 'b holds the final state');
});
