import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, ep, rule, slice, source, svc } from './fixtures.test-util.ts';
import { exportStalePolicy, isStale, staleEffect, staleView } from './stale.ts';
import { stalePolicyOf } from './select.ts';

const snap = source('east', [svc('shop', 'cart')], [slice('shop', 'cart', 'c1', [ep('10.1.0.1'), ep('10.1.0.2')])]);

test('a cluster is stale only once it has been unreachable for staleAfter', () => {
  assert.equal(isStale(undefined, 1000, 5000), false, 'connected');
  assert.equal(isStale(4500, 1000, 5000), false, 'a blip');
  assert.equal(isStale(4000, 1000, 5000), true);
});

test('keep leaves the last-known state; a fresh cluster is never altered', () => {
  assert.equal(staleView(snap, 'keep', true), snap);
  assert.equal(staleView(snap, 'withdraw', false), snap);
});

test('not-ready keeps every endpoint but marks it not ready', () => {
  const v = staleView(snap, 'not-ready', true);
  const eps = v.slices.get('shop/cart')!.flatMap((s) => s.endpoints ?? []);
  assert.deepEqual(eps.map((e) => [e.addresses[0], e.conditions?.ready]), [['10.1.0.1', false], ['10.1.0.2', false]]);
  assert.equal(snap.slices.get('shop/cart')![0]!.endpoints![0]!.conditions?.ready, true, 'the store is not mutated');
});

test('withdraw presents the cluster as exporting nothing', () => {
  const v = staleView(snap, 'withdraw', true);
  assert.deepEqual([v.services, [...v.slices]], [[], []]);
});

test('the one stale rule: every policy on every capability', () => {
  const table = (['replicas', 'imports', 'policies'] as const).map((c) => [c, (['keep', 'withdraw', 'not-ready', 'last-resort'] as const).map((p) => staleEffect(c, p))]);
  assert.deepEqual(table, [
    ['replicas', ['keep', 'withdraw', 'not-ready', 'last-resort']],
    ['imports', ['keep', 'withdraw', 'not-ready', 'last-resort']],
    // A NetworkPolicy's peers have no readiness: their addresses stay as last seen.
    ['policies', ['keep', 'withdraw', 'keep', 'keep']],
  ]);
});

test('last-resort keeps every ready endpoint as serving and terminating, and leaves the others as they were', () => {
  const s = source('east', [svc('shop', 'cart')], [slice('shop', 'cart', 'c1', [ep('10.1.0.1'), ep('10.1.0.2', { conditions: { ready: false, serving: false } })])]);
  const v = staleView(s, 'last-resort', true);
  const eps = v.slices.get('shop/cart')!.flatMap((x) => x.endpoints ?? []);
  assert.deepEqual(eps.map((e) => [e.addresses[0], e.conditions]), [
    ['10.1.0.1', { ready: false, serving: true, terminating: true }],
    ['10.1.0.2', { ready: false, serving: false }],
  ]);
  assert.equal(staleView(s, 'last-resort', false), s, 'a fresh cluster is never altered');
});

test('per export: an entry\'s own stalePolicy (or a ServiceExport\'s annotation) wins over its cluster\'s, Service by Service', () => {
  const both = source('east', [svc('shop', 'cart'), svc('pay', 'api')], [slice('shop', 'cart', 'c1', [ep('10.1.0.1')]), slice('pay', 'api', 'a1', [ep('10.1.0.9')])]);
  const east = cluster('east', [rule({ namespace: 'pay', stalePolicy: 'withdraw' }), rule({ namespace: 'shop' })], { stalePolicy: 'last-resort' });
  const v = staleView(both, (s) => stalePolicyOf(east, s), true);
  assert.deepEqual(v.services.map((s) => s.metadata.name), ['cart'], 'pay/api withdrawn by its entry');
  assert.deepEqual([...v.slices.keys()], ['shop/cart']);
  assert.equal(v.slices.get('shop/cart')![0]!.endpoints![0]!.conditions?.terminating, true, 'shop/cart under the cluster\'s last-resort');
  assert.deepEqual(exportStalePolicy({ annotations: { 'mcsync.io/stale-policy': 'withdraw' } }), { policy: 'withdraw' });
  assert.match(exportStalePolicy({ annotations: { 'mcsync.io/stale-policy': 'drop' } }).error ?? '', /"drop" is not one of keep, not-ready, last-resort, withdraw/);
  assert.deepEqual(exportStalePolicy({}), {});
});
