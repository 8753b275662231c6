import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, cluster, config, destination, ep, rule, slice, source, svc } from './fixtures.test-util.ts';
import { planAll } from './plan.ts';
import { selectExports } from './select.ts';
import { computeStatus } from './status.ts';

const none = new Set<string>();
const cfg = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] })]), cluster('west')]);
const src = source('east', [svc('shop', 'cart')], [slice('shop', 'cart', 'cart-1', [ep('10.1.0.1'), ep('10.1.0.2', { conditions: { ready: false } })])]);

test('a missing replica, then in sync once the plan is applied, with source readiness counted', () => {
  const { exports } = selectExports(cfg, [src]);
  const empty = destination('west', ['shop']);
  const first = computeStatus({ exports, plan: planAll(cfg, exports, [empty]), destinations: [empty], unavailable: none });
  assert.deepEqual(first.map((r) => [r.namespace, r.name, r.sources, r.endpoints]), [['shop', 'cart', ['east'], { ready: 1, total: 2 }]]);
  assert.equal(first[0]!.destinations[0]!.state, 'missing');
  const converged = applyPlan(empty, planAll(cfg, exports, [empty]));
  const second = computeStatus({ exports, plan: planAll(cfg, exports, [converged]), destinations: [converged], unavailable: none });
  assert.deepEqual(second[0]!.destinations, [{ cluster: 'west', state: 'in-sync' }]);
});

test('a hand-edited replica is drift; a Service mcsync does not own is a conflict; an unavailable one says so', () => {
  const { exports } = selectExports(cfg, [src]);
  const converged = applyPlan(destination('west', ['shop']), planAll(cfg, exports, [destination('west', ['shop'])]));
  const edited = { ...converged, ownedSlices: converged.ownedSlices.map((s) => ({ ...s, endpoints: [] })) };
  assert.equal(computeStatus({ exports, plan: planAll(cfg, exports, [edited]), destinations: [edited], unavailable: none })[0]!.destinations[0]!.state, 'drift');
  const local = destination('west', ['shop'], [svc('shop', 'cart')]);
  const conflict = computeStatus({ exports, plan: planAll(cfg, exports, [local]), destinations: [local], unavailable: none })[0]!.destinations[0]!;
  assert.equal(conflict.state, 'conflict');
  assert.match(conflict.detail ?? '', /not created by mcsync/);
  assert.equal(computeStatus({ exports, plan: planAll(cfg, exports, []), destinations: [], unavailable: new Set(['west']) })[0]!.destinations[0]!.state, 'unavailable');
});

test('a replica of an unavailable source is reported as kept, not as drift, and not dropped', () => {
  const two = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] })]), cluster('north', [rule({ namespace: 'shop', exportTo: ['west'] })]), cluster('west')]);
  const north = source('north', [svc('shop', 'cart'), svc('shop', 'till')], [slice('shop', 'cart', 'cart-n', [ep('10.2.0.1')]), slice('shop', 'till', 'till-n', [ep('10.2.0.2')])]);
  const both = selectExports(two, [src, north]).exports;
  const converged = applyPlan(destination('west', ['shop']), planAll(two, both, [destination('west', ['shop'])]));
  // north stops answering: only east is read, and the planner is told north is unavailable.
  const unavailable = new Set(['north']);
  const onlyEast = selectExports(two, [src]).exports;
  const plan = planAll(two, onlyEast, [converged], { unavailableSources: unavailable });
  assert.deepEqual(plan.actions, [], 'nothing of north is touched');
  const rows = computeStatus({ exports: onlyEast, plan, destinations: [converged], unavailable });
  assert.deepEqual(rows.map((r) => [r.name, r.sources, r.destinations.map((d) => d.state)]), [
    ['cart', ['east', 'north'], ['unavailable']],
    ['till', ['north'], ['unavailable']],
  ]);
  assert.match(rows[1]!.destinations[0]!.detail ?? '', /source north unavailable: its endpoints are kept/);
});

test('in sync, a replica whose IPv6 endpoints got no IPv6 address here says so, as does a distribution kube-proxy will ignore', () => {
  const dual = source('east', [svc('shop', 'cart', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], trafficDistribution: 'PreferClose' } })], [
    slice('shop', 'cart', 'cart-4', [ep('10.1.0.1', { zone: 'z1' })]),
    slice('shop', 'cart', 'cart-6', [ep('fd00:1::1')], { addressType: 'IPv6' }),
  ]);
  const { exports } = selectExports(cfg, [dual]);
  // The stand-in apiserver is IPv4-only: PreferDualStack is kept with one family.
  const converged = applyPlan(destination('west', ['shop']), planAll(cfg, exports, [destination('west', ['shop'])]));
  assert.deepEqual(converged.services[0]!.spec.ipFamilies, ['IPv4']);
  const [row] = computeStatus({ exports, plan: planAll(cfg, exports, [converged]), destinations: [converged], unavailable: none });
  const d = row!.destinations[0]!;
  assert.equal(d.state, 'in-sync');
  assert.equal(d.notes?.length, 2);
  assert.match(d.notes![0]!, /IPv6 endpoints are not reachable through the ClusterIP here/);
  assert.match(d.notes![1]!, /trafficDistribution PreferClose has no effect here: 1 ready endpoint\(s\) from east have no zone/);
  assert.equal(d.detail, d.notes!.join('; '));
});
