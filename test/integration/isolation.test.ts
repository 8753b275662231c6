// One hung destination must not stall the others: a exports to b and c, c's kube-apiserver is
// frozen with SIGSTOP (it keeps its sockets, so requests are accepted and never answered), and
// every change in a must still reach b while c's work for it hangs, and again once c's requests
// have run into their timeout. After SIGCONT, c converges to exactly the final state. Nothing
// here is timed: the proof is the order of events. A controller that made b wait behind c would
// show b a change only after c's item gave up (a failed write or reconcile in c), or never while
// c stays frozen; so each change must be in b before any of c's items gives up. How fast b gets
// it is bench/isolation.ts's figure (docs/reliability.md).
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
 * c's items that gave up so far: a write to c that failed (its request timed out), or a
 * reconcile in c that ended in failure. A controller that made b wait behind c would show b a
 * change only after c's item gave up (or never, while c stays frozen).
 */
const cGaveUp = () => ctl.logs.filter((l) => (l.msg === 'write failed' && l.cluster === 'c')
  || (l.msg === 'reconciled' && l.destination === 'c' && l.failed === true)).length;

/**
 * Makes the change and waits for b's replica slices to show it. With `beforeCGivesUp`, c is hung
 * and none of c's items may have given up since the change was made: b got the change while c's
 * work was still hanging, so b did not wait behind it. A miss says what b held and what the
 * controller logged.
 */
async function inB(what: string, change: () => Promise<unknown>, want: Record<string, boolean>, beforeCGivesUp = false): Promise<void> {
  const since = Date.now();
  const gaveUp = cGaveUp();
  await change();
  let seen: Record<string, boolean> = {};
  await waitFor(async () => {
    seen = addressMap(await slicesOf(B, ns, 'web', REPLICA_SLICES));
    return text(seen) === text(want);
  }, { what: `${what}: b to show ${text(want)}`, intervalMs: 20 }).catch((err: Error) => {
    assert.fail([`${err.message}; b held ${text(seen)}`, 'controller warnings, errors and writes since the change:', controllerStory(since)].join('\n'));
  });
  if (beforeCGivesUp) {
    assert.equal(cGaveUp(), gaveUp, [
      `${what}: b showed the change only after c's work gave up: b waited behind the hung c`,
      'controller warnings, errors and writes since the change:', controllerStory(since),
    ].join('\n'));
  }
}

/** Waits for mcsync to see c's requests run into their timeout: a watch error for c since `since`. */
async function cTimedOut(since: number): Promise<void> {
  await waitFor(async () => ctl.logs.some((l) => l.msg === 'watch error' && l.cluster === 'c' && Date.parse(String(l.time)) >= since),
    { what: 'a request to the frozen c to run into its timeout (a watch error for c)' });
}

test('with c frozen, every change in a reaches b while the work for c hangs, and c converges once it thaws', async () => {
  const ip0 = (await podsA.create({ namespace: ns, name: 'web-0', labels: { app: 'web' } })).status!.podIP!;
  for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip0]: true }, 'initial replica');
  const want: Record<string, boolean> = { [ip0]: true };
  const toggle = (label: string, beforeCGivesUp = false) => {
    want[ip0] = !want[ip0];
    const ready = want[ip0];
    return inB(label, () => podsA.setReady(ns, 'web-0', ready), want, beforeCGivesUp);
  };

  // A new endpoint, not only a readiness flip.
  const newPod = (label: string, name: string) => inB(label, async () => {
    const ip = (await podsA.create({ namespace: ns, name, labels: { app: 'web' } })).status!.podIP!;
    want[ip] = true;
  }, want, true);

  for (let i = 0; i < 4; i++) await toggle(`c healthy, toggle ${i + 1}`);
  assert.equal(cGaveUp(), 0, 'nothing of c gave up while it was healthy');

  const apiserver = set.running.find((c) => c.name === 'c')!.processes[1]!;
  assert.equal(readFileSync(`/proc/${apiserver.pid}/comm`, 'utf8').trim(), 'kube-apiserver');
  const frozenAt = Date.now();
  process.kill(apiserver.pid, 'SIGSTOP');
  try {
    // c's work for each change hangs; b must not wait for it, change after change of one key.
    for (let i = 0; i < 3; i++) await toggle(`c hung, toggle ${i + 1}`, true);
    await newPod('c hung, a second pod', 'web-1');
    // Past c's request timeout: its items fail or wait and back off; b must not notice.
    await cTimedOut(frozenAt);
    for (let i = 0; i < 3; i++) await toggle(`c hung past its request timeout, toggle ${i + 1}`, true);
    await newPod('c hung past its request timeout, a third pod', 'web-2');
  } finally {
    process.kill(apiserver.pid, 'SIGCONT');
  }

  await replicasAre(C, ns, 'web', want, 'c converges to the final state after SIGCONT');
  await replicasAre(B, ns, 'web', want, 'b holds the final state');
});
