// The status page's data from in-memory caches and a scripted reconcile record: which edges
// exist, and which state each takes when several apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../config/types.ts';
import { cluster, config, ep, rule, slice, svc } from '../../model/fixtures.test-util.ts';
import type { Conflict } from '../../model/conflicts.ts';
import { storeKey, type ServiceKey } from '../../vocab/keys.ts';
import { ownershipLabels, SOURCES } from '../../vocab/labels.ts';
import type { ServiceExport, ServiceImport } from '../../vocab/mcs.ts';
import type { McsRecord } from './fleet-imports.ts';
import { fleetView, type ReconcileRecord } from './fleet-view.ts';
import type { ClusterHealth } from './health.ts';
import type { McsState } from './mcs-reconciler.ts';
import { mcsTopology } from './mcs-topology.ts';
import type { DestinationOutcome, LastPropagation } from './reconciler.ts';
import { topology } from './topology.ts';

const NOW = Date.parse('2025-01-01T00:00:00Z');

/** A record scripted per destination|key (and source|destination|key for latencies). */
class Record implements ReconcileRecord {
  readonly outcomes = new Map<string, DestinationOutcome>();
  readonly conflicts = new Map<string, Conflict[]>();
  readonly latencies = new Map<string, LastPropagation>();
  lastOutcome(d: string, k: ServiceKey) { return this.outcomes.get(`${d}|${k}`); }
  conflictsOf(d: string, k: ServiceKey) { return this.conflicts.get(`${d}|${k}`) ?? []; }
  lastPropagation(s: string, d: string, k: ServiceKey) { return this.latencies.get(`${s}|${d}|${k}`); }
  ok(d: string, k: ServiceKey) { this.outcomes.set(`${d}|${k}`, { ok: true, at: NOW }); return this; }
}

const healthy = (c: string, over: Partial<ClusterHealth> = {}): ClusterHealth => ({ cluster: c, connected: true, synced: true, stale: false, ...over });

/** east exports namespace shop to west and north; web has a ready and a not-ready pod. */
function world(cfg: Config = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west', 'north'] })]), cluster('west'), cluster('north')]), localCluster?: string) {
  const topo = topology(cfg, localCluster);
  const east = topo.sources.get('east')!;
  const web = svc('shop', 'web');
  east.services[0]!.set(storeKey(web), web);
  const sl = slice('shop', 'web', 'web-abc', [ep('10.1.0.1'), ep('10.1.0.2', { conditions: { ready: false } })]);
  east.slices[0]!.set(storeKey(sl), sl);
  const record = new Record();
  const view = (health: ClusterHealth[] = cfg.clusters.map((c) => healthy(c.name))) =>
    fleetView({ config: cfg, sources: topo.sources, destinations: topo.destinations, health, record, now: NOW });
  return { topo, record, view };
}

const states = (v: ReturnType<ReturnType<typeof world>['view']>) => v.exports.flatMap((e) => e.edges.map((x) => `${e.key} ${x.source}->${x.destination} ${x.state}`));

test('an export reconciled everywhere is in sync on each edge, with its endpoints and last latency', () => {
  const w = world();
  w.record.ok('west', 'shop/web').ok('north', 'shop/web');
  w.record.latencies.set('east|west|shop/web', { seconds: 0.25, at: NOW - 1000 });

  const v = w.view();

  assert.deepEqual(v.clusters.map((c) => [c.name, c.source, c.destination]), [['east', true, true], ['west', false, true], ['north', false, true]]);
  assert.deepEqual(states(v), ['shop/web east->north in-sync', 'shop/web east->west in-sync']);
  const [row] = v.exports;
  assert.deepEqual(row!.endpoints, { ready: 1, total: 2 });
  assert.deepEqual(row!.sources.map((s) => [s.cluster, s.stale, s.staleAfterSeconds]), [['east', false, 300]]);
  assert.deepEqual(row!.edges.find((e) => e.destination === 'west')!.latencySeconds, 0.25);
  assert.equal(row!.edges.find((e) => e.destination === 'north')!.latencySeconds, undefined, 'no propagation seen to north yet');
  assert.equal(v.generatedAt, '2025-01-01T00:00:00.000Z');
});

test('a destination no reconcile has reached yet is pending, not in sync', () => {
  const w = world();
  w.record.ok('west', 'shop/web');

  assert.deepEqual(states(w.view()), ['shop/web east->north pending', 'shop/web east->west in-sync']);
});

test('a stale source turns its edges stale, and stays in the picture even under withdraw', () => {
  const cfg = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] })], { stalePolicy: 'withdraw', staleAfterMs: 3000 }), cluster('west')]);
  const w = world(cfg);
  w.record.ok('west', 'shop/web');

  const v = w.view([healthy('east', { connected: false, stale: true, unhealthySince: '2024-12-31T23:59:50.000Z' }), healthy('west')]);

  assert.deepEqual(states(v), ['shop/web east->west stale']);
  assert.match(v.exports[0]!.edges[0]!.detail!, /east unreachable since 2024-12-31T23:59:50.000Z; stale policy withdraw/);
  assert.deepEqual(v.exports[0]!.sources.map((s) => [s.cluster, s.stale, s.connected, s.staleAfterSeconds]), [['east', true, false, 3]]);
});

test('failing outranks conflict, and conflict outranks stale', () => {
  const w = world();
  const conflict: Conflict = { kind: 'not-owned', cluster: 'west', namespace: 'shop', name: 'web', message: 'west already has Service shop/web' };
  w.record.conflicts.set('west|shop/web', [conflict]);
  w.record.conflicts.set('north|shop/web', [{ ...conflict, cluster: 'north' }]);
  w.record.outcomes.set('north|shop/web', { ok: false, error: 'north: 403 Forbidden', at: NOW });
  w.record.ok('west', 'shop/web');

  const v = w.view([healthy('east', { stale: true }), healthy('west'), healthy('north')]);

  assert.deepEqual(states(v), ['shop/web east->north failing', 'shop/web east->west conflict']);
  assert.deepEqual(v.exports[0]!.destinations, [
    { cluster: 'north', state: 'failing', detail: 'north: 403 Forbidden' },
    { cluster: 'west', state: 'conflict', detail: 'west already has Service shop/web' },
  ]);
});

test('a replica whose export stopped keeps its edge until it is collected', () => {
  const w = world();
  const replica = svc('shop', 'old', { annotations: { [SOURCES]: 'east' } });
  w.topo.destinations.get('west')!.services.set(storeKey(replica), replica);

  const v = w.view();

  assert.deepEqual(v.exports.map((e) => [e.key, e.edges.map((x) => `${x.source}->${x.destination}`), e.endpoints.total]), [
    ['shop/old', ['east->west'], 0],
    ['shop/web', ['east->north', 'east->west'], 2],
  ]);
});

test('in pull mode only the local destination has edges', () => {
  const w = world(undefined, 'west');

  const v = w.view();

  assert.deepEqual(states(v), ['shop/web east->west pending']);
  assert.deepEqual(v.clusters.map((c) => [c.name, c.destination]), [['east', false], ['west', true], ['north', false]]);
});

test('a Service the rules do not export, with no replica anywhere, has no row', () => {
  const w = world(config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'], exclude: ['internal'] })]), cluster('west')]));
  const internal = svc('shop', 'internal');
  w.topo.sources.get('east')!.services[0]!.set(storeKey(internal), internal);

  assert.deepEqual(w.view().exports.map((e) => e.key), ['shop/web']);
});

test('with mcs off the view has no imports', () => {
  assert.deepEqual(world().view().imports, []);
});

/** What the MCS reconciler remembers, scripted per "namespace/name". */
class McsScript implements McsRecord {
  readonly byKey = new Map<string, McsState>();
  readonly outcomes = new Map<string, DestinationOutcome>();
  states() { return [...this.byKey.values()]; }
  lastOutcome(k: ServiceKey) { return this.outcomes.get(k); }
  found(namespace: string, name: string, over: Partial<McsState> = {}) {
    this.byKey.set(`${namespace}/${name}`, { namespace, name, exporters: [], invalid: [], conflicts: [], problems: [], ...over });
    this.outcomes.set(`${namespace}/${name}`, { ok: true, at: NOW });
    return this;
  }
}

/**
 * mcs on, east, west and north; every cluster may export and gets imports. shop exists in
 * east and west, not in north.
 */
function mcsWorld(over: { stalePolicy?: 'keep' | 'withdraw'; localCluster?: string } = {}) {
  const cfg = config([cluster('east', [], over.stalePolicy ? { stalePolicy: over.stalePolicy } : {}), cluster('west'), cluster('north')], { mcs: true, instance: 'page' });
  const topo = topology(cfg, over.localCluster);
  for (const c of ['east', 'west']) topo.destinations.get(c)?.namespaces.set('shop', { metadata: { name: 'shop' } });
  const mcs = mcsTopology(cfg, over.localCluster);
  const record = new McsScript();
  const exportIn = (c: string, name: string) => {
    const se: ServiceExport = { metadata: { namespace: 'shop', name } };
    mcs.sources.get(c)!.exports.set(storeKey(se), se);
  };
  const importIn = (c: string, name: string, o: { type?: 'ClusterSetIP' | 'Headless'; ips?: string[]; instance?: string } = {}) => {
    const si: ServiceImport = { metadata: { namespace: 'shop', name, labels: ownershipLabels(o.instance ?? 'page') }, spec: { ports: [], type: o.type ?? 'ClusterSetIP', ...(o.ips ? { ips: o.ips } : {}) } };
    mcs.destinations.get(c)!.imports.set(storeKey(si), si);
  };
  const view = (health: ClusterHealth[] = cfg.clusters.map((c) => healthy(c.name))) =>
    fleetView({ config: cfg, sources: topo.sources, destinations: topo.destinations, health, record: new Record(), mcs: { topology: mcs, record }, now: NOW });
  return { record, exportIn, importIn, view };
}

const importStates = (v: ReturnType<ReturnType<typeof mcsWorld>['view']>) => v.imports.map((i) => `${i.key} ${i.state}${i.detail ? `: ${i.detail}` : ''}`);

test('an import everywhere its namespace is: exporters, where it is imported, its type and each cluster\'s IP', () => {
  const w = mcsWorld();
  w.exportIn('east', 'web');
  w.exportIn('west', 'web');
  w.importIn('west', 'web', { ips: ['10.96.1.5'] });
  w.importIn('east', 'web', { ips: ['10.96.0.7'] });
  w.record.found('shop', 'web', { exporters: ['east', 'west'] });

  const v = w.view();

  assert.deepEqual(v.imports, [{
    key: 'shop/web', namespace: 'shop', name: 'web',
    exporters: ['east', 'west'],
    importedIn: ['east', 'west'],
    type: 'ClusterSetIP',
    ips: [{ cluster: 'east', ips: ['10.96.0.7'] }, { cluster: 'west', ips: ['10.96.1.5'] }],
    state: 'in-sync',
    detail: 'not imported in north: no namespace shop there',
  }]);
  assert.deepEqual(v.exports, [], 'a ServiceExport is not an export rule: no replica edges');
});

test('an import not reconciled yet, or missing where its namespace is, is pending; a headless one has no IP', () => {
  const w = mcsWorld();
  w.exportIn('east', 'web');
  w.exportIn('east', 'db');
  w.importIn('east', 'db', { type: 'Headless' });
  w.record.found('shop', 'db', { exporters: ['east'] });

  const v = w.view();

  assert.deepEqual(importStates(v), ['shop/db pending: no ServiceImport yet in west', 'shop/web pending: not reconciled here yet']);
  assert.deepEqual([v.imports[0]!.type, v.imports[0]!.ips, v.imports[1]!.type], ['Headless', [], undefined]);
});

test('failing outranks conflict, conflict outranks stale, stale outranks pending', () => {
  const w = mcsWorld();
  for (const n of ['a', 'b', 'c', 'd']) w.exportIn('east', n);
  w.record.found('shop', 'a', { exporters: ['east'], conflicts: [{ reason: 'PortConflict', message: 'ports differ in west; the oldest export (east) wins' }] });
  w.record.outcomes.set('shop/a', { ok: false, error: 'reconcile mcs:shop/a: west: 403 Forbidden', at: NOW });
  w.record.found('shop', 'b', { exporters: ['east'], conflicts: [{ reason: 'PortConflict', message: 'ports differ in west; the oldest export (east) wins' }] });
  w.record.found('shop', 'c', { exporters: ['east'] });

  const v = w.view([healthy('east', { stale: true, connected: false, unhealthySince: '2024-12-31T23:59:50.000Z' }), healthy('west'), healthy('north')]);

  assert.deepEqual(importStates(v), [
    'shop/a failing: reconcile mcs:shop/a: west: 403 Forbidden',
    'shop/b conflict: PortConflict: ports differ in west; the oldest export (east) wins',
    'shop/c stale: east unreachable since 2024-12-31T23:59:50.000Z; stale policy keep applies',
    'shop/d stale: east unreachable since 2024-12-31T23:59:50.000Z; stale policy keep applies',
  ]);
});

test('a ServiceImport that is not this instance\'s is a conflict and not counted as imported', () => {
  const w = mcsWorld();
  w.exportIn('east', 'web');
  w.importIn('east', 'web');
  w.importIn('west', 'web', { instance: 'other' });
  w.record.found('shop', 'web', { exporters: ['east'], problems: [{ cluster: 'west', namespace: 'shop', name: 'web', message: 'ServiceImport shop/web exists and is not mcsync\'s; left alone' }] });

  const [row] = w.view().imports;

  assert.deepEqual(row!.importedIn, ['east']);
  assert.equal(row!.state, 'conflict');
  assert.equal(row!.detail, 'west: ServiceImport shop/web exists and is not mcsync\'s; left alone');
});

test('exports that are all invalid are a conflict; one invalid among valid ones is a note', () => {
  const w = mcsWorld();
  w.exportIn('east', 'lone');
  w.exportIn('east', 'web');
  w.exportIn('west', 'web');
  w.importIn('east', 'web');
  w.importIn('west', 'web');
  const noService = (cluster: string, name: string) => ({ cluster, reason: 'NoService', message: `no Service shop/${name} in ${cluster}` });
  w.record.found('shop', 'lone', { invalid: [noService('east', 'lone')] });
  w.record.found('shop', 'web', { exporters: ['east'], invalid: [noService('west', 'web')] });

  assert.deepEqual(importStates(w.view()), [
    'shop/lone conflict: no valid export: east: NoService (no Service shop/lone in east)',
    'shop/web in-sync: not valid: west: NoService (no Service shop/web in west); not imported in north: no namespace shop there',
  ]);
});

test('a stale exporter withdrawn from the merge keeps the service in the picture, as stale', () => {
  const w = mcsWorld({ stalePolicy: 'withdraw' });
  w.exportIn('east', 'web');
  // The reconciler left east out and forgot the service: nothing else exports it.

  const v = w.view([healthy('east', { stale: true }), healthy('west'), healthy('north')]);

  assert.deepEqual(importStates(v), ['shop/web stale: east unreachable; stale policy withdraw applies']);
  assert.deepEqual(v.imports[0]!.exporters, []);
});

test('in pull mode only the local cluster\'s import counts', () => {
  const w = mcsWorld({ localCluster: 'west' });
  w.exportIn('east', 'web');
  w.importIn('west', 'web', { ips: ['10.96.1.5'] });
  w.record.found('shop', 'web', { exporters: ['east'] });

  assert.deepEqual(w.view().imports.map((i) => [i.importedIn, i.state, i.detail]), [[['west'], 'in-sync', undefined]]);
});
