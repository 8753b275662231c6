// Clusters that join and leave a running `mcsync run` from the inventory: a hub with the
// ClusterProfile CRD, four harness clusters reached through the upstream secretreader plugin.
// The controller starts with three profiles; a fourth added while it runs is served (its
// Service reaches the others, theirs reach it) without any other cluster's watch being
// restarted; a profile whose plugin fails is unavailable with the reason; a deleted profile is
// a removed cluster, and inventory.onRemove decides what becomes of what it sourced: kept in
// the other clusters (keep, the default; across a restart too) or withdrawn (withdraw). The
// replicas it holds stay. The same for Multi-Cluster Services imports, and after a reload the
// profiles are watched again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { adminToken, applyInventoryCrd, deleteProfile, putProfile, putTokenSecret, secretreaderPlugin, secretreaderProviderFile } from '../../harness/src/controlplane/inventory.ts';
import { addressMap, apis, replicasAre, serviceWithPod, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const ns = 'rt';
const NAMES = ['a', 'b', 'c', 'd'] as const;
type Name = (typeof NAMES)[number];

let set: ClusterSet;
let providerFile: string;
const api = {} as Record<Name, Apis>;
/** The IP of the pod behind web-<name> in cluster <name>. */
const ip = {} as Record<Name, string>;

async function addProfile(name: string, target: Name, clusterName: string = name): Promise<void> {
  await putProfile(set.get('hub'), 'fleet', {
    name, target: set.get(target), provider: 'secretreader', healthy: true,
    extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { clusterName } }],
  });
}

/** Every inventory cluster exports the namespace `ns` to every other one (or, `mcs`, exports by ServiceExport only). */
function config(instance: string, onRemove?: 'keep' | 'withdraw', mcs = false): string {
  return writeConfig([
    `instance: ${instance}`,
    ...(mcs ? ['mcs: true', 'networkPolicies: true'] : []),
    'inventory:',
    `  hub: { kubeconfig: ${yamlString(set.get('hub').kubeconfigPath)} }`,
    '  namespace: fleet',
    `  providerFile: ${yamlString(providerFile)}`,
    ...(onRemove ? [`  onRemove: ${onRemove}`] : []),
    ...(mcs ? [] : ['  rules:', `  - services: [{ namespace: ${ns} }]`]),
  ].join('\n') + '\n');
}

const MCS = 'multicluster.x-k8s.io/v1alpha1';
const objects = (name: Name) => KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get(name)));
const exportService = (name: Name, service: string) => objects(name).create({ apiVersion: MCS, kind: 'ServiceExport', metadata: { name: service, namespace: ns } } as KubernetesObject);
/** Whether <cluster> holds a ServiceImport of that name. */
const imported = (name: Name, service: string) => objects(name).read({ apiVersion: MCS, kind: 'ServiceImport', metadata: { name: service, namespace: ns } }).then(() => true, (err: { code?: number }) => {
  if (err.code === 404) return false;
  throw err;
});

/** web-<source>'s replica in <dest> holds exactly <source>'s pod, ready. */
const served = (source: Name, dest: Name) => replicasAre(api[dest], ns, `web-${source}`, { [ip[source]]: true }, `web-${source} of ${source} in ${dest}`);

interface Status {
  clusters: { cluster: string; connected: boolean; joinedAt?: string }[];
  removedClusters: { cluster: string; onRemove: string; kept: string }[];
  inventory?: { unavailable: { cluster: string; reason: string }[] };
}
const statusOf = async (ctl: RunningController) => JSON.parse((await ctl.get('/status')).text) as Status;

/** The initial lists each cluster's watches made (mcsync_relists_total, reason initial): a watch made anew lists again. */
async function initialLists(ctl: RunningController): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await ctl.get('/metrics')).text.split('\n')) {
    const m = /^mcsync_relists_total\{(.*)\} (\d+)/.exec(line);
    if (!m || !m[1]!.includes('reason="initial"')) continue;
    const cluster = /cluster="([^"]+)"/.exec(m[1]!)![1]!;
    out[cluster] = (out[cluster] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Each watch of the given clusters as /status shows it (path and selector; the identity of a watch). */
async function watchesOf(ctl: RunningController, clusters: readonly string[]): Promise<string[]> {
  return (await ctl.progress()).watches.filter((w) => clusters.includes(w.cluster)).map((w) => `${w.cluster} ${w.resource} ${w.path} ${w.labelSelector ?? ''}`).sort();
}

/** Drained: the first full resync queued, then nothing queued or running, twice in a row (a removal's re-plan has run). */
async function drained(ctl: RunningController): Promise<void> {
  let idle = 0;
  await waitFor(async () => {
    const p = await ctl.progress();
    idle = p.resyncs > 0 && p.queued === 0 && p.inFlight === 0 ? idle + 1 : 0;
    return idle >= 2;
  }, { what: 'the controller to have no work queued or running' });
}

before(async () => {
  const plugin = await secretreaderPlugin();
  set = await startClusterSet({ names: ['hub', ...NAMES], mcsCrds: true });
  const hub = set.get('hub');
  await applyInventoryCrd(hub);
  await new Pods(hub).ensureNamespace('fleet');
  for (const name of NAMES) {
    api[name] = apis(set.get(name));
    await putTokenSecret(hub, 'default', name, await adminToken(set.get(name), 'mcsync-system', 'mcsync'));
    ip[name] = await serviceWithPod(new Pods(set.get(name)), ns, `web-${name}`);
  }
  providerFile = join(dirname(writeConfig('', 'providers.json')), 'providers.json');
  writeFileSync(providerFile, secretreaderProviderFile(plugin, hub.kubeconfigPath));
});

after(() => set?.down());

test('onRemove keep (default): a fourth profile joins while running without restarting the others\' watches; a profile whose plugin fails is unavailable; a deleted one leaves its replicas in place', async () => {
  for (const name of ['a', 'b', 'c'] as const) await addProfile(name, name);
  const cfg = config('rt');
  const ctl = await startController(['--config', cfg, '--status-page']);
  try {
    await ctl.ready();
    await served('a', 'b');
    await served('b', 'c');
    await served('c', 'a');
    const before = await initialLists(ctl);
    const watches = await watchesOf(ctl, ['a', 'b', 'c']);
    assert.deepEqual(Object.keys(before).sort(), ['a', 'b', 'c']);

    // A profile added while running: d joins, as a source and as a destination.
    await addProfile('d', 'd');
    await served('d', 'a');
    await served('a', 'd');
    await served('c', 'd');
    const status = await statusOf(ctl);
    assert.deepEqual(status.clusters.map((c) => [c.cluster, c.connected]), [['a', true], ['b', true], ['c', true], ['d', true]]);
    const joined = (n: string) => Date.parse(status.clusters.find((c) => c.cluster === n)!.joinedAt!);
    assert.ok(joined('d') > joined('a'), 'd joined after the clusters the controller started with');
    // Nobody else's watches were made anew: the same watches, and not one more initial list.
    assert.deepEqual(await watchesOf(ctl, ['a', 'b', 'c']), watches);
    const after1 = await initialLists(ctl);
    for (const n of ['a', 'b', 'c']) assert.equal(after1[n], before[n], `${n}'s watches listed again`);
    assert.ok((after1.d ?? 0) > 0, 'd\'s watches listed');
    await waitFor(async () => /mcsync_cluster_connected\{cluster="d"\} 1/.test((await ctl.get('/metrics')).text), { what: 'd\'s series in the metrics' });

    // A profile whose plugin fails (no Secret for it on the hub) is unavailable, with the reason.
    await addProfile('e', 'd', 'no-such-secret');
    // (Until its status is written the profile offers no provider: unavailable too, for that reason.)
    const e = await waitFor(async () => (await statusOf(ctl)).inventory?.unavailable.find((u) => u.cluster === 'e' && /credential plugin/.test(u.reason)), { what: 'profile e reported unavailable for its plugin' });
    assert.match(e.reason, /ClusterProfile fleet\/e.*no-such-secret/);
    assert.ok(!(await statusOf(ctl)).clusters.some((c) => c.cluster === 'e'));
    await deleteProfile(set.get('hub'), 'fleet', 'e');

    // c's profile deleted: c is removed; what it sourced stays in a, b and d (stalePolicy keep), what it holds stays in c.
    await deleteProfile(set.get('hub'), 'fleet', 'c');
    const removed = await waitFor(async () => (await statusOf(ctl)).removedClusters.find((r) => r.cluster === 'c'), { what: 'c reported removed' });
    assert.equal(removed.onRemove, 'keep');
    await drained(ctl);
    for (const dest of ['a', 'b', 'd'] as const) {
      assert.deepEqual(addressMap(await slicesOf(api[dest], ns, 'web-c', REPLICA_SLICES)), { [ip.c]: true }, `web-c kept in ${dest}`);
    }
    assert.deepEqual(addressMap(await slicesOf(api.c, ns, 'web-a', REPLICA_SLICES)), { [ip.a]: true }, 'the replicas c holds stay there');
    const s = await statusOf(ctl);
    assert.deepEqual(s.clusters.map((c) => c.cluster), ['a', 'b', 'd']);
    // `mcsync status --controller` says when each cluster joined and what was kept of c.
    const st = await runMcsync(['status', '--config', cfg, '--controller', `http://127.0.0.1:${ctl.port}`, '-o', 'wide']);
    assert.match(st.stdout, /JOINED/);
    assert.match(st.stdout, new RegExp(`\\bd\\b.*${s.clusters.find((c) => c.cluster === 'd')!.joinedAt!.replace(/[.]/g, '\\.')}`));
    assert.match(st.stdout, /removed: c at \S+ \(onRemove: keep\): what it sourced stays/);
    // The status page shows c as what it now is to the planners: a stale source, its edges stale.
    const page = JSON.parse((await ctl.get('/fleet')).text) as { clusters: { name: string; stale: boolean }[]; exports: { name: string; edges: { source: string; state: string }[] }[] };
    assert.deepEqual(page.clusters.filter((c) => c.name === 'c').map((c) => c.stale), [true]);
    assert.deepEqual([...new Set(page.exports.find((e) => e.name === 'web-c')!.edges.map((e) => `${e.source} ${e.state}`))], ['c stale']);
    // The removed cluster's per-cluster series are gone.
    assert.doesNotMatch((await ctl.get('/metrics')).text, /mcsync_cluster_connected\{cluster="c"\}/);
  } finally {
    await ctl.stop('SIGTERM');
  }
  // Kept across a restart too: c is no cluster of the fleet, and its replicas are not collected.
  const again = await startController(['--config', config('rt')]);
  try {
    await again.ready();
    await drained(again);
    for (const dest of ['a', 'b', 'd'] as const) {
      assert.deepEqual(addressMap(await slicesOf(api[dest], ns, 'web-c', REPLICA_SLICES)), { [ip.c]: true }, `web-c still kept in ${dest} after a restart`);
    }
  } finally {
    await again.stop('SIGTERM');
  }
});

test('onRemove withdraw: a deleted profile\'s exports are withdrawn from the other clusters; the replicas it holds stay', async () => {
  await deleteProfile(set.get('hub'), 'fleet', 'e').catch(() => undefined);
  await addProfile('c', 'c');
  const ctl = await startController(['--config', config('rt', 'withdraw')]);
  try {
    await ctl.ready();
    await served('c', 'a');
    await served('a', 'c');
    await deleteProfile(set.get('hub'), 'fleet', 'c');
    // The positive sign: c's Service withdrawn from every other cluster.
    for (const dest of ['a', 'b', 'd'] as const) {
      await waitFor(async () => (await api[dest].core.readNamespacedService({ namespace: ns, name: 'web-c' }).then(() => false, (err: { code?: number }) => err.code === 404)), { what: `web-c withdrawn from ${dest}` });
    }
    const removed = (await statusOf(ctl)).removedClusters.find((r) => r.cluster === 'c');
    assert.equal(removed?.onRemove, 'withdraw');
    assert.deepEqual(addressMap(await slicesOf(api.c, ns, 'web-a', REPLICA_SLICES)), { [ip.a]: true }, 'the replicas c holds stay there');
    // The others are served as before.
    await served('a', 'd');
  } finally {
    await ctl.stop('SIGTERM');
  }
});

test('mcs: a joining cluster is an exporter and an importer at once; removed with withdraw, its import goes from the others', async () => {
  for (const name of ['c', 'd', 'e']) await deleteProfile(set.get('hub'), 'fleet', name).catch(() => undefined);
  const ctl = await startController(['--config', config('rt-mcs', 'withdraw', true)]);
  try {
    await ctl.ready();
    await exportService('a', 'web-a');
    await waitFor(() => imported('b', 'web-a'), { what: 'web-a of a imported in b' });
    await exportService('d', 'web-d');
    await addProfile('d', 'd');
    await waitFor(() => imported('d', 'web-a'), { what: 'web-a imported in d, which joined' });
    await waitFor(() => imported('a', 'web-d'), { what: 'web-d of d, which joined, imported in a' });
    await waitFor(() => imported('b', 'web-d'), { what: 'web-d of d imported in b' });
    await deleteProfile(set.get('hub'), 'fleet', 'd');
    await waitFor(async () => !(await imported('a', 'web-d')) && !(await imported('b', 'web-d')), { what: 'web-d withdrawn from a and b once d was removed' });
    assert.ok(await imported('b', 'web-a'), 'a\'s import stays');
    assert.ok(await imported('d', 'web-a'), 'the imports d holds stay there');
  } finally {
    await ctl.stop('SIGTERM');
  }
});

test('mcs with onRemove keep: a removed exporter\'s import stays in the others, while running and after a restart', async () => {
  await addProfile('d', 'd');
  const cfg = config('rt-mcs', 'keep', true);
  const ctl = await startController(['--config', cfg]);
  try {
    await ctl.ready();
    await waitFor(() => imported('a', 'web-d'), { what: 'web-d of d imported in a' });
    await deleteProfile(set.get('hub'), 'fleet', 'd');
    await waitFor(async () => (await statusOf(ctl)).removedClusters.find((r) => r.cluster === 'd'), { what: 'd reported removed' });
    await drained(ctl);
    assert.ok(await imported('a', 'web-d'), 'web-d stays imported in a');
    assert.ok(await imported('b', 'web-d'), 'web-d stays imported in b');
  } finally {
    await ctl.stop('SIGTERM');
  }
  const again = await startController(['--config', cfg]);
  try {
    await again.ready();
    await drained(again);
    assert.ok(await imported('a', 'web-d'), 'web-d still imported in a after a restart');
    const dSlices = (await api.a.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'multicluster.kubernetes.io/service-name=web-d,multicluster.kubernetes.io/source-cluster=d' })).items;
    assert.deepEqual(addressMap(dSlices), { [ip.d]: true }, 'd\'s endpoints of web-d stay in a');
  } finally {
    await again.stop('SIGTERM');
  }
});

test('after a reload (SIGHUP) the profiles are watched again: a profile added then joins', async () => {
  const ctl = await startController(['--config', config('rt')]);
  try {
    await ctl.ready();
    ctl.child.kill('SIGHUP');
    await waitFor(async () => ctl.count('config reloaded') === 1, { what: 'the reload' });
    await ctl.ready();
    await addProfile('c', 'c');
    await served('c', 'a');
    await served('a', 'c');
  } finally {
    await ctl.stop('SIGTERM');
  }
});
