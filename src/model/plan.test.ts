import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planAll, planDestination } from './plan.ts';
import { selectExports } from './select.ts';
import { replicaSliceName } from './slice-names.ts';
import { cmp } from './canonical.ts';
import { applyPlan, cluster, config, destination, ep, pair, rule, slice, source, svc } from './fixtures.test-util.ts';
import { CREATED_NAMESPACE, MCS_SOURCE_CLUSTER, ownershipLabels, SERVICE_NAME, SOURCE_CLUSTER_NAME, SOURCES } from '../vocab/labels.ts';
import type { Config } from '../config/types.ts';
import type { Action, DestinationSnapshot, Plan, SourceSnapshot } from './types.ts';
import type { EndpointSlice, Service } from '../vocab/objects.ts';

function summary(plan: Plan | Action[]): string[] {
  const actions = Array.isArray(plan) ? plan : plan.actions;
  return actions.map((a) =>
    a.verb === 'delete'
      ? `delete ${a.ref.kind} ${a.ref.namespace}/${a.ref.name} (${a.reason})`
      : `${a.verb} ${a.ref.kind} ${a.object.metadata.namespace ? `${a.object.metadata.namespace}/` : ''}${a.object.metadata.name} (${a.reason})`,
  );
}

function plan(cfg: Config, sources: SourceSnapshot[], dest: DestinationSnapshot, opts = {}): Plan {
  return planDestination(cfg, dest, selectExports(cfg, sources).exports, opts);
}

/** Plans and applies until nothing is left to do; returns the converged destination. */
function converge(cfg: Config, sources: SourceSnapshot[], dest: DestinationSnapshot, opts = {}): DestinationSnapshot {
  const applied = applyPlan(dest, plan(cfg, sources, dest, opts));
  assert.deepEqual(summary(plan(cfg, sources, applied, opts)), [], 'converges in one round');
  return applied;
}

const cfg = pair();
const web = (o: Parameters<typeof svc>[2] = {}) => svc('shop', 'web', o);
const webSlice = (addrs: string[], name = 'web-abcde') => slice('shop', 'web', name, addrs.map((a) => ep(a)));

test('a new export creates the replica Service, then its slices; a second round has nothing to do', () => {
  const east = source('east', [web()], [webSlice(['10.1.0.2', '10.1.0.1'])]);
  const p = plan(cfg, [east], destination('west', ['shop']));
  const sliceName = replicaSliceName('web', 'east', 'IPv4', [{ name: 'http', port: 8080 }], 1);
  assert.deepEqual(summary(p), ['create Service shop/web (new export)', `create EndpointSlice shop/${sliceName} (new export)`]);
  assert.deepEqual(p.conflicts, []);
  const created = (p.actions[0] as { object: Service }).object;
  assert.deepEqual(created.spec, { type: 'ClusterIP', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] });
  assert.deepEqual(created.metadata.labels, ownershipLabels('default'));
  assert.deepEqual(created.metadata.annotations, { [SOURCES]: 'east' });
  converge(cfg, [east], destination('west', ['shop']));
});

test('a destination that already holds exactly the desired state yields zero actions', () => {
  const east = source('east', [web({ type: 'NodePort', clusterIP: 'None' })], [webSlice(['10.1.0.1'])]);
  const first = plan(cfg, [east], destination('west', ['shop']));
  // Built by hand from the plan's own objects, with server-set fields added as an apiserver would.
  const services = first.actions.filter((a) => a.verb === 'create' && a.ref.kind === 'Service').map((a) => structuredClone((a as { object: Service }).object));
  const slices = first.actions.filter((a) => a.verb === 'create' && a.ref.kind === 'EndpointSlice').map((a) => structuredClone((a as { object: EndpointSlice }).object));
  for (const s of services) Object.assign(s.metadata, { uid: 'u1', resourceVersion: '7' });
  for (const s of services) Object.assign(s.spec, { sessionAffinity: 'None', ipFamilies: ['IPv4'], internalTrafficPolicy: 'Cluster' });
  for (const s of slices) Object.assign(s.metadata, { uid: 'u2', resourceVersion: '8' });
  assert.deepEqual(summary(plan(cfg, [east], destination('west', ['shop'], services, slices))), []);
});

test('a missing namespace is created first when createNamespaces is on, else reported with nothing done there', () => {
  const east = source('east', [web(), svc('other', 'api')], [webSlice(['10.1.0.1'])]);
  const p = plan(cfg, [east], destination('west', ['other']));
  assert.deepEqual(summary(p).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), [
    'create Namespace shop (namespace missing)',
    'create Service other/api (new export)',
    'create Service shop/web (new export)',
    'create EndpointSlice shop/web-H-1 (new export)',
  ]);
  const ns = p.actions[0] as { object: { metadata: { labels?: Record<string, string> } } };
  assert.deepEqual(ns.object.metadata.labels, { [CREATED_NAMESPACE]: 'true', ...ownershipLabels('default') });
  converge(cfg, [east], destination('west', ['other']));

  const off = pair({}, { createNamespaces: false });
  const q = plan(off, [east], destination('west', ['other']));
  assert.deepEqual(summary(q), ['create Service other/api (new export)']);
  assert.deepEqual(q.conflicts.map((c) => [c.kind, c.cluster, c.namespace, c.name]), [['missing-namespace', 'west', 'shop', 'web']]);
});

test('conflictPolicy skip: a Service the destination owns itself is left alone, our old slices for it go, a conflict says so', () => {
  const east = source('east', [web()], [webSlice(['10.1.0.1'])]);
  const converged = converge(cfg, [east], destination('west', ['shop']));
  // Someone replaces the replica with their own Service of the same name.
  const theirs = svc('shop', 'web', { labels: { app: 'local' } });
  const dest = { ...converged, services: [theirs] };
  const p = plan(cfg, [east], dest);
  assert.deepEqual(summary(p).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), ['delete EndpointSlice shop/web-H-1 (destination Service not owned by mcsync)']);
  assert.deepEqual(p.conflicts.map((c) => c.kind), ['not-owned']);
  assert.match(p.conflicts[0]!.message, /conflictPolicy skip/);
  assert.deepEqual(summary(plan(cfg, [east], applyPlan(dest, p))), []);
});

test('conflictPolicy merge: slices join the destination\'s own Service, which is never touched', () => {
  const merge = pair({ conflictPolicy: 'merge' });
  const east = source('east', [web()], [webSlice(['10.1.0.1'])]);
  const theirs = svc('shop', 'web', { labels: { app: 'local' } });
  const dest = destination('west', ['shop'], [theirs]);
  const p = plan(merge, [east], dest);
  assert.deepEqual(summary(p).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), ['create EndpointSlice shop/web-H-1 (new endpoints)']);
  assert.equal((p.actions[0] as { object: EndpointSlice }).object.metadata.labels![SERVICE_NAME], 'web');
  assert.deepEqual(p.conflicts, []);
  const after = applyPlan(dest, p);
  assert.deepEqual(summary(plan(merge, [east], after)), []);
  // The export going away removes our slices, still without touching their Service.
  assert.deepEqual(summary(plan(merge, [source('east', [])], after)).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), [
    'delete EndpointSlice shop/web-H-1 (source gone)',
  ]);
});

test('a changed source Service updates the replica in place, keeping server-set fields for the PUT', () => {
  const east = source('east', [web()], [webSlice(['10.1.0.1'])]);
  const converged = converge(cfg, [east], destination('west', ['shop']));
  const changed = source('east', [web({ ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090, protocol: 'TCP' }] })], [webSlice(['10.1.0.1'])]);
  const p = plan(cfg, [changed], converged);
  assert.deepEqual(summary(p), ['update Service shop/web (spec changed)']);
  const before = converged.services[0]!;
  const obj = (p.actions[0] as { object: Service }).object;
  assert.equal(obj.metadata.resourceVersion, before.metadata.resourceVersion);
  assert.equal(obj.metadata.uid, before.metadata.uid);
  assert.equal(obj.spec.clusterIP, before.spec.clusterIP);
  assert.deepEqual(obj.spec.ipFamilies, ['IPv4']);
  assert.deepEqual(obj.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'metrics', protocol: 'TCP', port: 9090 }]);
  // A label change alone is an update too.
  const labelled = source('east', [web({ labels: { tier: 'front' } })], [webSlice(['10.1.0.1'])]);
  assert.deepEqual(summary(plan(cfg, [labelled], converged)), ['update Service shop/web (labels or annotations changed)']);
});

test('a kind change the apiserver cannot apply in place is delete then create; ExternalName drops the slices', () => {
  const east = source('east', [web()], [webSlice(['10.1.0.1'])]);
  const converged = converge(cfg, [east], destination('west', ['shop']));
  const headless = source('east', [web({ clusterIP: 'None' })], [webSlice(['10.1.0.1'])]);
  assert.deepEqual(summary(plan(cfg, [headless], converged)), ['delete Service shop/web (type changed)', 'create Service shop/web (type changed)']);
  converge(cfg, [headless], converged);

  const external = source('east', [web({ type: 'ExternalName', spec: { externalName: 'web.example.com', clusterIP: undefined } })]);
  assert.deepEqual(summary(plan(cfg, [external], converged)).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), [
    'delete Service shop/web (type changed)',
    'create Service shop/web (type changed)',
    'delete EndpointSlice shop/web-H-1 (Service is ExternalName)',
  ]);
});

test('garbage collection: slice deletes before Service deletes, with uid and resourceVersion preconditions', () => {
  const east = source('east', [web(), svc('shop', 'db')], [webSlice(['10.1.0.1'])]);
  const converged = converge(cfg, [east], destination('west', ['shop']));
  const p = plan(cfg, [source('east', [])], converged);
  assert.deepEqual(summary(p).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), [
    'delete EndpointSlice shop/web-H-1 (source gone)',
    'delete Service shop/db (source gone)',
    'delete Service shop/web (source gone)',
  ]);
  for (const a of p.actions) {
    assert.equal(a.verb, 'delete');
    if (a.verb === 'delete') {
      assert.ok(a.ref.uid && a.ref.resourceVersion, 'preconditions present');
    }
  }
  // An emptied source leaves the Service but removes the slice.
  const empty = source('east', [web(), svc('shop', 'db')], [webSlice([])]);
  assert.deepEqual(summary(plan(cfg, [empty], converged)).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), ['delete EndpointSlice shop/web-H-1 (endpoints gone)']);
});

test('never an update or delete of what mcsync does not own, nor of what is being deleted', () => {
  const otherInstance = svc('shop', 'web', { labels: ownershipLabels('blue') });
  const dyingReplica = svc('shop', 'db', { labels: ownershipLabels('default'), annotations: { [SOURCES]: 'east' } });
  dyingReplica.metadata.deletionTimestamp = '2024-05-05T00:00:00Z';
  const strangers: EndpointSlice = { ...webSlice(['10.9.9.9'], 'strangers'), metadata: { name: 'strangers', namespace: 'shop', labels: { [SERVICE_NAME]: 'web' } } };
  const dest = destination('west', ['shop'], [otherInstance, dyingReplica], [strangers]);
  assert.deepEqual(summary(plan(cfg, [source('east', [])], dest)), []);
  // With an export for those names: another instance's Service is a conflict, a dying one is waited for.
  const p = plan(cfg, [source('east', [web(), svc('shop', 'db')], [webSlice(['10.1.0.1'])])], dest);
  assert.deepEqual(summary(p), []);
  assert.deepEqual(p.conflicts.map((c) => `${c.kind} ${c.name}`), ['not-owned web']);
});

test('an unavailable source is not a deleted one: its slices stay untouched and its replicas stay', () => {
  const two = config([
    cluster('east', [rule({ exportTo: ['west'] })]),
    cluster('north', [rule({ exportTo: ['west'] })]),
    cluster('west'),
  ]);
  const east = source('east', [web(), svc('shop', 'db')], [webSlice(['10.1.0.1'])]);
  const north = source('north', [web()], [webSlice(['10.3.0.1'])]);
  const converged = converge(two, [east, north], destination('west', ['shop']));
  assert.equal(converged.services.find((s) => s.metadata.name === 'web')!.metadata.annotations![SOURCES], 'east,north');

  // East cannot be read this round: nothing of east's goes, and web still lists east as a source.
  const opts = { unavailableSources: new Set(['east']) };
  const north2 = source('north', [web()], [webSlice(['10.3.0.1', '10.3.0.2'])]);
  const p = plan(two, [north2], converged, opts);
  assert.deepEqual(summary(p).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), ['update EndpointSlice shop/web-H-1 (endpoints changed)']);
  const updated = (p.actions[0] as { object: EndpointSlice }).object;
  assert.equal(updated.metadata.labels![MCS_SOURCE_CLUSTER], 'north');
  const after = applyPlan(converged, p);
  assert.deepEqual(summary(plan(two, [north2], after, opts)), []);

  // Once east is back and no longer exports, its replicas go.
  const q = plan(two, [source('east', []), north2], after);
  assert.deepEqual(summary(q).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), [
    'update Service shop/web (labels or annotations changed)',
    'delete EndpointSlice shop/web-H-1 (endpoints gone)',
    'delete Service shop/db (source gone)',
  ]);
  const webUpdate = (q.actions[0] as { object: Service }).object;
  assert.equal(webUpdate.metadata.annotations![SOURCES], 'north');
});

test('several sources: slices from each, the oldest sets the spec, a port mismatch is reported per destination', () => {
  const three = config([
    cluster('east', [rule({ exportTo: ['west'] })]),
    cluster('north', [rule({ exportTo: ['west'] })]),
    cluster('west'),
  ]);
  const east = source('east', [web({ created: '2024-06-01T00:00:00Z', ports: [{ name: 'http', port: 8080 }] })], [webSlice(['10.1.0.1'])]);
  const north = source('north', [web({ created: '2023-06-01T00:00:00Z' })], [webSlice(['10.3.0.1'])]);
  const p = plan(three, [east, north], destination('west', ['shop']));
  const svcAction = p.actions[0] as { object: Service };
  assert.deepEqual(svcAction.object.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80 }]);
  assert.deepEqual(
    p.actions.slice(1).map((a) => (a as { object: EndpointSlice }).object.metadata.labels![MCS_SOURCE_CLUSTER]).sort((a, b) => cmp(a ?? '', b ?? '')),
    ['east', 'north'],
  );
  assert.deepEqual(p.conflicts.map((c) => [c.kind, c.cluster, c.name]), [['port-mismatch', 'west', 'web']]);
});

test('one pod becoming unready among 250 endpoints rewrites exactly one slice', () => {
  const addrs = Array.from({ length: 250 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
  const east = source('east', [web()], [webSlice(addrs)]);
  const converged = converge(cfg, [east], destination('west', ['shop']));
  assert.deepEqual(converged.ownedSlices.map((s) => s.endpoints!.length), [100, 100, 50]);
  const flipped = webSlice(addrs);
  flipped.endpoints![137] = ep(addrs[137]!, { conditions: { ready: false, serving: true, terminating: true } });
  const p = plan(cfg, [source('east', [web()], [flipped])], converged);
  const holder = converged.ownedSlices.find((s) => s.endpoints!.some((e) => e.addresses[0] === addrs[137]))!;
  assert.deepEqual(summary(p), [`update EndpointSlice shop/${holder.metadata.name} (endpoints changed)`]);
  const obj = (p.actions[0] as { object: EndpointSlice }).object;
  const before = converged.ownedSlices.find((s) => s.metadata.name === obj.metadata.name)!;
  assert.equal(obj.metadata.resourceVersion, before.metadata.resourceVersion);
  assert.equal(obj.metadata.uid, before.metadata.uid);
  // A pod replaced by one with a new IP also rewrites one slice: the new IP takes the freed place.
  const replaced = webSlice([...addrs.slice(0, 10), '10.1.9.9', ...addrs.slice(11)]);
  assert.equal(plan(cfg, [source('east', [web()], [replaced])], converged).actions.length, 1);
});

test('a replica slice of ours with the wrong address type under a desired name is deleted and recreated', () => {
  const east = source('east', [web()], [webSlice(['10.1.0.1'])]);
  const converged = converge(cfg, [east], destination('west', ['shop']));
  const wrong = structuredClone(converged.ownedSlices[0]!);
  wrong.addressType = 'IPv6';
  const dest = { ...converged, ownedSlices: [wrong] };
  const p = plan(cfg, [east], dest);
  assert.deepEqual(summary(p).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), [
    'delete EndpointSlice shop/web-H-1 (address type changed)',
    'create EndpointSlice shop/web-H-1 (address type changed)',
  ]);
});

test('the Calico stars example: each side gets the other\'s services; planAll goes in config order', () => {
  const stars = config([
    cluster('onprem', [rule({ namespace: 'stars', exportTo: ['eks'] })]),
    cluster('eks', [rule({ namespace: 'management-ui', exportTo: ['onprem'] }), rule({ namespace: 'client', exportTo: ['onprem'] })]),
  ]);
  const onprem = source(
    'onprem',
    [svc('stars', 'backend', { ports: [{ port: 6379, protocol: 'TCP', targetPort: 6379 }] }), svc('stars', 'frontend', { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] })],
    [slice('stars', 'backend', 'backend-x', [ep('192.168.1.10')], { ports: [{ port: 6379, protocol: 'TCP', name: '' }] })],
  );
  const eks = source(
    'eks',
    [
      svc('management-ui', 'management-ui', { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 9001, nodePort: 30001, protocol: 'TCP' }] }),
      svc('client', 'client', { ports: [{ port: 9000, protocol: 'TCP' }] }),
    ],
    [slice('management-ui', 'management-ui', 'mui-x', [ep('10.0.5.7')], { ports: [{ port: 9001, protocol: 'TCP' }] })],
  );
  const { exports } = selectExports(stars, [eks, onprem]);
  const dests = [destination('eks', ['stars']), destination('onprem', [])];
  const p = planAll(stars, exports, dests);
  assert.deepEqual(summary(p).map((s) => s.replace(/-[0-9a-f]{8}-/, '-H-')), [
    'create Namespace client (namespace missing)',
    'create Namespace management-ui (namespace missing)',
    'create Service client/client (new export)',
    'create Service management-ui/management-ui (new export)',
    'create EndpointSlice management-ui/management-ui-H-1 (new export)',
    'create Service stars/backend (new export)',
    'create Service stars/frontend (new export)',
    'create EndpointSlice stars/backend-H-1 (new export)',
  ]);
  // onprem comes first in the config, so its plan (what it receives from eks) comes first.
  assert.deepEqual(p.actions.map((a) => a.cluster), ['onprem', 'onprem', 'onprem', 'onprem', 'onprem', 'eks', 'eks', 'eks']);
  const mui = p.actions.find((a) => a.verb === 'create' && a.ref.kind === 'Service' && a.object.metadata.name === 'management-ui') as { object: Service };
  assert.deepEqual(mui.object.spec, { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] });
  const muiSlice = p.actions.find((a) => a.verb === 'create' && a.ref.kind === 'EndpointSlice' && a.object.metadata.namespace === 'management-ui') as { object: EndpointSlice };
  assert.deepEqual(muiSlice.object.ports, [{ name: '', port: 9001, protocol: 'TCP' }]);
  // Exports never land back in their own cluster.
  assert.ok(p.actions.every((a) => a.verb !== 'create' || a.ref.kind === 'Namespace' || (a.cluster === 'eks') === (a.object.metadata.namespace === 'stars')));
});

test('a slice under one of our names but labelled with an unavailable source is left alone, and its name skipped', () => {
  const three = config([cluster('east', [rule({ exportTo: ['west'] })]), cluster('north', [rule({ exportTo: ['west'] })]), cluster('west')]);
  const east = source('east', [web()], [webSlice(['10.1.0.1'])]);
  const converged = converge(three, [east], destination('west', ['shop']));
  const relabelled = structuredClone(converged.ownedSlices[0]!);
  relabelled.metadata.labels![MCS_SOURCE_CLUSTER] = 'north';
  relabelled.metadata.labels![SOURCE_CLUSTER_NAME] = 'north';
  const dest = { ...converged, ownedSlices: [relabelled] };
  const p = plan(three, [east], dest, { unavailableSources: new Set(['north']) });
  assert.deepEqual(summary(p), [`create EndpointSlice shop/${relabelled.metadata.name.replace(/-1$/, '-2')} (new endpoints)`]);
});

test('with an inventory that keeps what a removed cluster sourced (onRemove: keep), replicas of a source no longer in the fleet stay; with withdraw they go', () => {
  const east = source('east', [web(), svc('shop', 'db')], [webSlice(['10.1.0.1'])]);
  const north = source('north', [web()], [webSlice(['10.3.0.1'])]);
  const fleet = (onRemove: 'keep' | 'withdraw', names: string[]) => config(
    [...names.map((n) => cluster(n, [rule({ exportTo: ['west'] })])), cluster('west')],
    // Only the field the planner reads; the rest of an inventory's settings play no part here.
    { inventory: { onRemove } as NonNullable<Config['inventory']> },
  );
  const converged = converge(fleet('keep', ['east', 'north']), [east, north], destination('west', ['shop']));
  // east's profile deleted: east is no cluster of the fleet any more.
  assert.deepEqual(summary(plan(fleet('keep', ['north']), [north], converged)), []);
  assert.deepEqual(summary(plan(fleet('withdraw', ['north']), [north], converged)).map((s) => s.replace(/web-[0-9a-f]{8}/, 'web-H')), [
    'update Service shop/web (labels or annotations changed)',
    'delete EndpointSlice shop/web-H-1 (endpoints gone)',
    'delete Service shop/db (source gone)',
  ]);
  // Without an inventory a source that left is collected, as it always was.
  const file = config([cluster('north', [rule({ exportTo: ['west'] })]), cluster('west')]);
  assert.equal(summary(plan(file, [north], converged)).length, 3);
});
