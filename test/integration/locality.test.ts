// Locality tiers on real apiservers, through `mcsync run`. a and b are in region eu (a says so
// with a ClusterProperty, b in the config), c in us.
// Service web runs in a and c. On the MCS path (ServiceExports with the mcsync.io/cluster-selectors
// annotation: same region, then any region) and on the replica path (a services entry with the
// same clusterSelectors, into b): in b, a's endpoints are hinted for b's zone and c's for no
// Node's zone, and the Service reads hints (PreferClose). a's pod turning not ready moves b to
// the next tier, with an Event on the import, a metric and /status saying so; b's Node moving
// to another zone moves the hints with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi, type KubernetesObject, type V1EndpointSlice } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { kubeConfigFor, Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { setClusterProperty } from '../../harness/src/controlplane/inventory.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { apis, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const NS = 'shop';
const REP = 'rep';
const MERGED = 'merged';
const OTHER_TIER = 'mcsync-other-tier';
const TIERS = JSON.stringify([
  { propertySelector: { matchProperties: { region: '@SameAsImporter@' } } },
  { propertySelector: { matchExpressions: [{ key: 'region', operator: 'Exists' }] } },
]);

let set: ClusterSet;
let ctl: RunningController;
let configPath: string;
const api: Record<string, Apis> = {};
const pods: Record<string, Pods> = {};

interface LocalityRow { cluster: string; namespace: string; name: string; tier: number | 'all'; clusters: string[]; inactive?: string }

async function locality(): Promise<LocalityRow[]> {
  return (JSON.parse((await ctl.get('/status')).text) as { locality: LocalityRow[] }).locality;
}

/** Each address of the mcsync slices of `service` in b, with the zones it is hinted for. */
function hints(slices: V1EndpointSlice[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of slices) for (const e of s.endpoints ?? []) out[e.addresses[0]!] = (e.hints?.forZones ?? []).map((z) => z.name);
  return out;
}

/** Every slice mcsync wrote in b's namespace (the derived Service's name is a hash). */
const inB = async (ns: string) => (await api.b!.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: REPLICA_SLICES })).items;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b', 'c'], mcsCrds: true });
  for (const n of ['a', 'b', 'c']) {
    api[n] = apis(set.get(n));
    pods[n] = new Pods(set.get(n));
    await pods[n].ensureNode();
  }
  for (const n of ['a', 'c']) {
    for (const ns of [NS, REP]) {
      await pods[n]!.ensureNamespace(ns);
      await api[n]!.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } } });
      await pods[n]!.create({ namespace: ns, name: 'web-0', labels: { app: 'web' } });
    }
    await KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get(n))).create({ apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'web', namespace: NS, annotations: { 'mcsync.io/cluster-selectors': TIERS } } } as KubernetesObject);
  }
  await pods.b!.ensureNamespace(NS);
  await pods.b!.ensureNamespace(REP);
  // merged: a's web joins b's own web (conflictPolicy merge), b's Service without a distribution yet.
  for (const n of ['a', 'b']) {
    await pods[n]!.ensureNamespace(MERGED);
    await api[n]!.core.createNamespacedService({ namespace: MERGED, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } } });
  }
  await pods.a!.create({ namespace: MERGED, name: 'web-0', labels: { app: 'web' } });
  // a says where it is with a ClusterProperty of its own (the About API); b and c in the config.
  await setClusterProperty(set.get('a'), 'region', 'eu');
  const cluster = (name: string, region: string | undefined, extra: string[] = []) => [`- name: ${name}`, `  kubeconfig: ${set.get(name).kubeconfigPath}`, ...(region ? [`  properties: {region: ${region}}`] : []), ...extra];
  const repEntry = ['  services:', `  - namespace: ${REP}`, '    exportTo: [b]', `    clusterSelectors: ${TIERS}`];
  const mergedEntry = [`  - namespace: ${MERGED}`, '    exportTo: [b]', '    conflictPolicy: merge'];
  configPath = writeConfig(['instance: tiers', 'mcs: true', 'clusters:', ...cluster('a', undefined, [...repEntry, ...mergedEntry]), ...cluster('b', 'eu'), ...cluster('c', 'us', repEntry), ''].join('\n'));
  ctl = await startController(['--config', configPath]);
  await ctl.ready();
});

after(async () => {
  await ctl?.stop();
  await set?.down();
});

const podIp = async (n: string, ns: string) => (await api[n]!.core.readNamespacedPod({ namespace: ns, name: 'web-0' })).status!.podIP!;

for (const path of [{ what: 'the MCS path (derived Service)', ns: NS, import: true }, { what: 'the replica path', ns: REP, import: false }]) {
  describe(`locality tiers on ${path.what}`, () => {
    test('in b, the nearest tier (a, same region) is hinted for b\'s zone and c for none, under PreferClose', async () => {
      const [ipA, ipC] = [await podIp('a', path.ns), await podIp('c', path.ns)];
      const want = { [ipA]: ['b-zone-a'], [ipC]: [OTHER_TIER] };
      const slices = await waitFor(async () => {
        const s = await inB(path.ns);
        const h = hints(s);
        return Object.keys(h).length === 2 && Object.entries(want).every(([ip, zones]) => h[ip]?.join() === zones.join()) ? s : undefined;
      }, { what: `b's slices of ${path.ns}/web hinted by tier` });
      assert.deepEqual(hints(slices), want);
      const services = (await api.b!.core.listNamespacedService({ namespace: path.ns })).items.filter((s) => s.metadata?.labels?.['mcsync.io/managed-by'] === 'mcsync');
      assert.equal(services.length, 1);
      assert.equal(services[0]!.spec?.trafficDistribution, 'PreferClose', 'kube-proxy reads the hints only under a hinted distribution');
      const row = (await locality()).find((r) => r.cluster === 'b' && r.namespace === path.ns);
      assert.deepEqual(row && { tier: row.tier, clusters: row.clusters }, { tier: 0, clusters: ['a'] });
    });
  });
}

test('MCS: c, in the other region, uses its own endpoints first', async () => {
  const rows = await waitFor(async () => {
    const r = (await locality()).filter((x) => x.namespace === NS);
    return r.length === 3 ? r : undefined;
  }, { what: 'a tier for every importing cluster' });
  assert.deepEqual(rows.map((r) => [r.cluster, r.tier, r.clusters]), [['a', 0, ['a']], ['b', 0, ['a']], ['c', 0, ['c']]]);
});

test('mcsync status reads the Nodes\' zones and shows the tier each importing cluster uses, as the controller does', async () => {
  const r = await runMcsync(['status', '--config', configPath, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = (JSON.parse(r.stdout) as { locality: LocalityRow[] }).locality;
  assert.deepEqual(rows.filter((x) => x.cluster === 'b').map((x) => [x.namespace, x.tier, x.clusters]).sort(), [[REP, 0, ['a']], [NS, 0, ['a']]]);
  const table = await runMcsync(['status', '--config', configPath, '--cluster', 'b']);
  assert.match(table.stdout, /locality tiers in use:\n.*TIER/);
});

test('mcsync doctor says where tiers are carried out: b\'s Nodes are in a zone', async () => {
  const r = await runMcsync(['doctor', '--config', configPath, '-o', 'json']);
  const checks = (JSON.parse(r.stdout) as { checks: { name: string; scope: string; result: string; message: string }[] }).checks.filter((c) => c.name === 'locality');
  assert.deepEqual(checks.map((c) => [c.scope, c.result]), [['a', 'pass'], ['b', 'pass'], ['c', 'pass']], r.stdout);
  assert.match(checks[1]!.message, /1 zone\(s\) \(b-zone-a\)/);
});

test('a\'s pod not ready: b moves to the next tier (a and c), with an Event on the import and a counted change', async () => {
  await pods.a!.setReady(NS, 'web-0', false);
  const row = await waitFor(async () => {
    const r = (await locality()).find((x) => x.cluster === 'b' && x.namespace === NS);
    return r?.tier === 1 ? r : undefined;
  }, { what: 'b on tier 1 for shop/web' });
  assert.deepEqual(row.clusters, ['a', 'c']);
  const ipC = await podIp('c', NS);
  const hinted = await waitFor(async () => {
    const h = hints(await inB(NS));
    return JSON.stringify(h[ipC]) === JSON.stringify(['b-zone-a']) ? h : undefined;
  }, { what: 'c\'s endpoint hinted for b\'s zone' });
  assert.deepEqual(hinted[ipC], ['b-zone-a']);
  const events = await waitFor(async () => {
    const list = (await api.b!.core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.reason === 'LocalityTierChanged');
    return list.length > 0 ? list : undefined;
  }, { what: 'a LocalityTierChanged Event in b' });
  assert.equal(events[0]!.type, 'Normal');
  assert.equal(events[0]!.involvedObject.kind, 'ServiceImport');
  assert.match(events[0]!.message ?? '', /from tier 0 \(a\) to tier 1 \(a, c\)/);
  const metrics = (await ctl.get('/metrics')).text;
  assert.match(metrics, /mcsync_locality_tier_changes_total\{cluster="b"\} [1-9]/);
  await pods.a!.setReady(NS, 'web-0', true);
  await waitFor(async () => (await locality()).find((x) => x.cluster === 'b' && x.namespace === NS)?.tier === 0, { what: 'b back on tier 0' });
});

test('b\'s Node moves to another zone: the tier\'s hints follow it', async () => {
  const node = (await api.b!.core.listNode()).items[0]!;
  node.metadata!.labels = { ...node.metadata!.labels, 'topology.kubernetes.io/zone': 'b-zone-moved' };
  await api.b!.core.replaceNode({ name: node.metadata!.name!, body: node });
  const ipA = await podIp('a', REP);
  const h = await waitFor(async () => {
    const x = hints(await inB(REP));
    return JSON.stringify(x[ipA]) === JSON.stringify(['b-zone-moved']) ? x : undefined;
  }, { what: 'a\'s endpoint in b hinted for the new zone' });
  assert.deepEqual(h[ipA], ['b-zone-moved']);
});

test('a\'s ClusterProperty region changes at run time: b no longer counts a as near, and moves to the next tier', async () => {
  await setClusterProperty(set.get('a'), 'region', 'us');
  const row = await waitFor(async () => {
    const r = (await locality()).find((x) => x.cluster === 'b' && x.namespace === NS);
    return r?.tier === 1 ? r : undefined;
  }, { what: 'b on tier 1 once a is in us' });
  assert.deepEqual(row.clusters, ['a', 'c']);
});

test('merge: the user\'s own Service taking a distribution is noticed at once, and mcsync hints the endpoints it adds there', async () => {
  const ipA = await podIp('a', MERGED);
  await waitFor(async () => JSON.stringify(hints(await inB(MERGED))) === JSON.stringify({ [ipA]: [] }), { what: 'a\'s endpoint merged into b\'s web, unhinted' });
  const own = await api.b!.core.readNamespacedService({ name: 'web', namespace: MERGED });
  own.spec!.trafficDistribution = 'PreferSameZone';
  await api.b!.core.replaceNamespacedService({ name: 'web', namespace: MERGED, body: own });
  // No source change follows: only the watch of b's own Service can bring this.
  const h = await waitFor(async () => {
    const x = hints(await inB(MERGED));
    return x[ipA]?.join() === 'a-zone-a' ? x : undefined;
  }, { what: 'a\'s endpoint in b hinted for its own zone once b\'s Service asks for PreferSameZone', timeoutMs: 20_000 });
  assert.deepEqual(h[ipA], ['a-zone-a']);
});
