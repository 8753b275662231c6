// Two `mcsync run` instances with leader election against real apiservers: the leader, frozen
// with SIGSTOP for longer than the lease duration, loses the Lease to the standby; once resumed
// it says so itself (/status leader:false) and from then on writes nothing, by its own write
// counter and by the field managers the destination records, while the new leader writes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { apis, replicasAre, serviceWithPod, type Apis } from '../support/kube.ts';

const NS = 'loss';
let set: ClusterSet;
let B: Apis;
let podsA: Pods;
const running: RunningController[] = [];

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  B = apis(set.get('b'));
  podsA = new Pods(set.get('a'));
});

after(async () => {
  for (const c of running) {
    if (c.child.exitCode === null) c.child.kill('SIGCONT');
    await c.stop();
  }
  await set?.down();
});

function configText(): string {
  return ['instance: loss', 'controller:', '  watchTimeout: 2s', 'leaderElection:', '  cluster: b', '  leaseDuration: 3s', '  renewDeadline: 2s', '  retryPeriod: 500ms', 'clusters:',
    '- name: a', `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', `  - namespace: ${NS}`, '    exportTo: [b]',
    '- name: b', `  kubeconfig: ${set.get('b').kubeconfigPath}`].join('\n') + '\n';
}

/** mcsync_writes_total summed over every label set: every write the instance sent, whatever its outcome. */
async function writesBy(c: RunningController): Promise<number> {
  const text = (await c.get('/metrics')).text;
  return [...text.matchAll(/^mcsync_writes_total\{[^}]*\} (\d+(?:\.\d+)?)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** Each field manager's entries on this instance's replicas in b: who wrote what, as the apiserver recorded it. */
async function managedFields(): Promise<Record<string, string>> {
  const sel = 'mcsync.io/instance=loss';
  const objs = [...(await B.core.listNamespacedService({ namespace: NS, labelSelector: sel })).items,
    ...(await B.discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: sel })).items];
  const out: Record<string, string[]> = {};
  for (const o of objs) for (const f of o.metadata?.managedFields ?? []) (out[f.manager!] ??= []).push(`${o.kind ?? ''}/${o.metadata!.name}@${String(f.time)}:${JSON.stringify(f.fieldsV1)}`);
  return Object.fromEntries(Object.entries(out).map(([m, e]) => [m, e.sort().join('\n')]));
}

async function leads(c: RunningController): Promise<boolean> {
  return (await c.status()).leader;
}

test('a leader frozen past its lease loses it to the standby and, once resumed, writes nothing', async () => {
  const ip0 = await serviceWithPod(podsA, NS, 'web');
  const cfg = writeConfig(configText());
  const first = await startController(['--config', cfg, '--leader-elect', '--identity', 'first', '--field-manager', 'mcsync-first']);
  running.push(first);
  await waitFor(() => leads(first), { what: 'the first instance to lead' });
  const second = await startController(['--config', cfg, '--leader-elect', '--identity', 'second', '--field-manager', 'mcsync-second']);
  running.push(second);
  await first.ready();
  await second.ready();
  await replicasAre(B, NS, 'web', { [ip0]: true }, 'the leader replicates web into b');
  assert.equal(await leads(second), false);
  assert.deepEqual(Object.keys(await managedFields()).filter((m) => m.startsWith('mcsync')), ['mcsync-first'], 'only the leader wrote');

  const before = await writesBy(first);
  assert.ok(before > 0, 'the leader counted its writes');
  first.child.kill('SIGSTOP');
  let ip1 = '';
  try {
    await waitFor(() => leads(second), { what: 'the standby to take the Lease once it expired', timeoutMs: 30_000 });
    ip1 = (await podsA.create({ namespace: NS, name: 'web-1', labels: { app: 'web' } })).status!.podIP!;
    await replicasAre(B, NS, 'web', { [ip0]: true, [ip1]: true }, 'the new leader replicates a change made while the old one was frozen');
  } finally {
    first.child.kill('SIGCONT');
  }

  // The positive sign that the old leader knows: it says so on /status, and logs it.
  await waitFor(async () => !(await leads(first)), { what: 'the resumed instance to report leader:false' });
  await waitFor(async () => first.count('lost leadership; writes stopped') === 1, { what: 'the resumed instance to log the loss' });
  const known = await writesBy(first);
  const fieldsKnown = await managedFields();
  assert.equal(known, before, 'not one write between freezing and knowing it lost');

  // A change both instances see: the new leader writes it, the old one reconciles it without writing.
  const reconcilesOf = async (c: RunningController) => [...(await c.get('/metrics')).text.matchAll(/^mcsync_reconciles_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  const reconciledBefore = await reconcilesOf(first);
  const ip2 = (await podsA.create({ namespace: NS, name: 'web-2', labels: { app: 'web' } })).status!.podIP!;
  await replicasAre(B, NS, 'web', { [ip0]: true, [ip1]: true, [ip2]: true }, 'the new leader replicates the next change');
  await waitFor(async () => (await reconcilesOf(first)) > reconciledBefore, { what: 'the old leader to reconcile the change too' });

  assert.equal(await writesBy(first), before, 'the old leader sent no write after it knew it lost');
  const fieldsAfter = await managedFields();
  assert.equal(fieldsAfter['mcsync-first'], fieldsKnown['mcsync-first'], 'nothing in b carries a newer write of the old leader');
  assert.notEqual(fieldsAfter['mcsync-second'], undefined, 'the new leader wrote');
});
