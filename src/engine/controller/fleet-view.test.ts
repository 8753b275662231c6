// The status page's data from in-memory caches and a scripted reconcile record: which edges
// exist, and which state each takes when several apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../config/types.ts';
import { cluster, config, ep, rule, slice, svc } from '../../model/fixtures.test-util.ts';
import type { Conflict } from '../../model/conflicts.ts';
import { storeKey, type ServiceKey } from '../../vocab/keys.ts';
import { SOURCES } from '../../vocab/labels.ts';
import { fleetView, type ReconcileRecord } from './fleet-view.ts';
import type { ClusterHealth } from './health.ts';
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
