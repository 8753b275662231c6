// What routing needs, carried across real clusters: a dual-stack source Service in a with
// trafficDistribution PreferSameZone, internalTrafficPolicy Local and externalIPs, its pods in two
// zones. After `mcsync sync`, b (IPv4-only) and c (dual-stack) hold a replica with the policy and
// distribution, PreferDualStack and the families each cluster has, no externalIPs, and slices
// whose every endpoint is hinted for its own zone; status and doctor say b cannot reach the IPv6
// endpoints; a second sync writes nothing. The same for a derived Service with `mcs: true`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi, type KubernetesObject, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { kubeConfigFor, Pods } from '../../harness/src/workload/pods.ts';
import { writeCount } from '../../harness/src/observe/metrics.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { addressMap, apis, getService, slicesOf, type Apis } from '../support/kube.ts';
import { ok } from '../support/mcsync.ts';

const DESTINATIONS = ['b', 'c'] as const;
const WRITTEN = ['services', 'endpointslices', 'serviceimports'];
const ZONE_B_NODE = 'a-node-zone-b';

let set: ClusterSet;
const api: Record<string, Apis> = {};
let podsA: Pods;

before(async () => {
  // a and c have IPv4 and IPv6 service ranges; b has IPv4 only.
  set = await startClusterSet({ names: ['a', 'b', 'c'], mcsCrds: true, dualStack: ['a', 'c'] });
  for (const n of ['a', 'b', 'c']) api[n] = apis(set.get(n));
  podsA = new Pods(set.get('a'));
  await podsA.ensureNode();
  // A second node of a in another zone, so the hints are seen to follow each endpoint's own zone.
  await api.a!.core.createNode({ body: { metadata: { name: ZONE_B_NODE, labels: { 'kubernetes.io/hostname': ZONE_B_NODE, 'topology.kubernetes.io/zone': 'a-zone-b' } } } });
});

after(() => set?.down());

/** A dual-stack Service asking for PreferSameZone and Local, with externalIPs, and two dual-stack pods in two zones. */
async function dualStackSource(ns: string): Promise<void> {
  await podsA.ensureNamespace(ns);
  await api.a!.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: {
    selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'],
    trafficDistribution: 'PreferSameZone', internalTrafficPolicy: 'Local', externalIPs: ['192.0.2.80'],
  } } });
  await podsA.create({ namespace: ns, name: 'web-0', labels: { app: 'web' }, extraIps: ['fd00:10:100::10'] });
  await podsA.create({ namespace: ns, name: 'web-1', labels: { app: 'web' }, extraIps: ['fd00:10:100::11'], nodeName: ZONE_B_NODE });
  // Two pods, each with an address of each family, in an IPv4 and an IPv6 slice.
  await waitFor(async () => Object.keys(addressMap(await slicesOf(api.a!, ns, 'web'))).length === 4, { what: `a's slices of ${ns}/web with four addresses` });
}

const cluster = (name: string, extra: string[] = []) => [`- name: ${name}`, `  kubeconfig: ${set.get(name).kubeconfigPath}`, ...extra];
// The IPv6 pod addresses pass the endpoint guard only if a's ranges say they are a's.
const PODS_A = '  podCIDRs: [10.100.0.0/16, "fd00:10:100::/64"]';

async function destinationWrites(): Promise<number> {
  let n = 0;
  for (const d of DESTINATIONS) n += await writeCount(set.get(d), WRITTEN);
  return n;
}

function assertRoutingFields(where: string, svc: V1Service | undefined): void {
  assert.ok(svc, `${where}: the Service exists`);
  assert.equal(svc.spec?.trafficDistribution, 'PreferSameZone', where);
  assert.equal(svc.spec?.internalTrafficPolicy, 'Local', where);
  assert.equal(svc.spec?.ipFamilyPolicy, 'PreferDualStack', `${where}: never RequireDualStack, which b would reject`);
  assert.equal(svc.spec?.externalIPs, undefined, `${where}: externalIPs are never carried`);
  const want = where.startsWith('b') ? ['IPv4'] : ['IPv4', 'IPv6'];
  assert.deepEqual(svc.spec?.ipFamilies, want, `${where}: the families the cluster has`);
  assert.equal(svc.spec?.clusterIPs?.length, want.length, `${where}: an address of each`);
}

function assertZoneHints(where: string, slices: V1EndpointSlice[]): void {
  const endpoints = slices.flatMap((s) => (s.endpoints ?? []).map((e) => ({ s, e })));
  assert.equal(endpoints.length, 4, `${where}: both pods, both families`);
  for (const { s, e } of endpoints) {
    assert.ok(e.zone === 'a-zone-a' || e.zone === 'a-zone-b', `${where}: ${e.addresses[0]} keeps its zone`);
    // The client returns class instances: compare their JSON.
    assert.deepEqual(JSON.parse(JSON.stringify(e.hints ?? null)), { forZones: [{ name: e.zone }] }, `${where}: ${e.addresses[0]} in ${s.metadata?.name} is hinted for its own zone`);
  }
  assert.deepEqual(new Set(endpoints.map(({ e }) => e.zone)), new Set(['a-zone-a', 'a-zone-b']));
}

describe('replicas', () => {
  const ns = 'routing';
  let cfg = '';

  before(async () => {
    await dualStackSource(ns);
    cfg = writeConfig(['instance: routing', 'clusters:', ...cluster('a', [PODS_A, '  services:', `  - namespace: ${ns}`]), ...cluster('b'), ...cluster('c')].join('\n') + '\n', 'routing.yaml');
  });

  test('sync: each replica has the policy, the distribution and the families its cluster has, no externalIPs, and zone-hinted slices', async () => {
    ok(await runMcsync(['sync', '--config', cfg]));
    for (const d of DESTINATIONS) {
      assertRoutingFields(`${d} replica`, await getService(api[d]!, ns, 'web'));
      assertZoneHints(`${d} replica`, await slicesOf(api[d]!, ns, 'web', 'endpointslice.kubernetes.io/managed-by=mcsync.io'));
    }
  });

  test('a second sync writes nothing, by the apiservers\' own count', async () => {
    const before = await destinationWrites();
    const r = ok(await runMcsync(['sync', '--config', cfg, '-o', 'json']));
    assert.deepEqual((JSON.parse(r.stdout) as { actions: unknown[] }).actions, []);
    assert.equal(await destinationWrites() - before, 0);
  });

  test('status and doctor say that b cannot reach the IPv6 endpoints, and what Local means for both', async () => {
    const status = ok(await runMcsync(['status', '--config', cfg, '-o', 'json']));
    const row = (JSON.parse(status.stdout) as { services: { namespace: string; name: string; destinations: { cluster: string; state: string; notes?: string[] }[] }[] }).services
      .find((s) => s.namespace === ns && s.name === 'web')!;
    const notes = Object.fromEntries(row.destinations.map((d) => [d.cluster, [d.state, d.notes ?? []]] as const));
    assert.equal(notes.b![0], 'in-sync');
    assert.match(notes.b![1].join('\n'), /IPv6 endpoints are not reachable through the ClusterIP here/);
    assert.doesNotMatch(notes.c![1].join('\n'), /not reachable/, 'c has both families');
    for (const d of DESTINATIONS) assert.match(notes[d]![1].join('\n'), /internalTrafficPolicy Local/);
    const doctor = await runMcsync(['doctor', '--config', cfg, '-o', 'json']);
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; scope: string; result: string; message: string }[] }).checks;
    const routing = (scope: string) => checks.find((c) => c.name === 'routing' && c.scope === scope)!;
    assert.equal(routing('b').result, 'warn', routing('b').message);
    assert.match(routing('b').message, /routing\/web: IPv6 endpoints are not reachable/);
    assert.equal(routing('c').result, 'info', routing('c').message);
  });
});

describe('multi-cluster services', () => {
  const ns = 'routing-mcs';
  let cfg = '';
  const objs: Record<string, KubernetesObjectApi> = {};

  before(async () => {
    await dualStackSource(ns);
    for (const d of DESTINATIONS) await new Pods(set.get(d)).ensureNamespace(ns);
    for (const n of ['a', ...DESTINATIONS]) objs[n] = KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get(n)));
    await objs.a!.create({ apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'web', namespace: ns } } as KubernetesObject);
    cfg = writeConfig(['instance: routing-mcs', 'mcs: true', 'clusters:', ...cluster('a', [PODS_A]), ...cluster('b'), ...cluster('c')].join('\n') + '\n', 'routing-mcs.yaml');
  });

  test('sync: each derived Service has the policy, the distribution and its cluster\'s families, no externalIPs, and zone-hinted slices', async () => {
    ok(await runMcsync(['sync', '--config', cfg]));
    for (const d of DESTINATIONS) {
      const list = await api[d]!.core.listNamespacedService({ namespace: ns, labelSelector: 'mcsync.io/import=web' });
      assert.equal(list.items.length, 1, `one derived Service in ${d}`);
      const derivedName = list.items[0]!.metadata!.name!;
      const si = (await objs[d]!.read({ apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceImport', metadata: { name: 'web', namespace: ns } })) as KubernetesObject & { spec: Record<string, unknown> };
      assert.deepEqual([si.spec.trafficDistribution, si.spec.internalTrafficPolicy], ['PreferSameZone', 'Local'], `${d}: the ServiceImport says so too`);
      assertRoutingFields(`${d} derived`, await getService(api[d]!, ns, derivedName));
      const slices = (await api[d]!.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${derivedName}` })).items;
      assertZoneHints(`${d} derived`, slices);
    }
  });

  test('a second sync writes nothing', async () => {
    const before = await destinationWrites();
    const r = ok(await runMcsync(['sync', '--config', cfg, '-o', 'json']));
    assert.deepEqual((JSON.parse(r.stdout) as { actions: unknown[] }).actions, []);
    assert.equal(await destinationWrites() - before, 0);
  });

  test('status notes that b\'s derived Service has no IPv6 address for a\'s IPv6 endpoints', async () => {
    const r = ok(await runMcsync(['status', '--config', cfg, '-o', 'json']));
    const imported = (JSON.parse(r.stdout) as { imports: { namespace: string; name: string; notes?: { cluster: string; kind: string }[] }[] }).imports
      .find((m) => m.namespace === ns && m.name === 'web')!;
    const families = (imported.notes ?? []).filter((n) => n.kind === 'family-missing').map((n) => n.cluster);
    assert.deepEqual(families, ['b']);
  });
});
