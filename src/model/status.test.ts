import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, cluster, config, destination, ep, rule, slice, source, svc } from './fixtures.test-util.ts';
import { planAll } from './plan.ts';
import { selectExports } from './select.ts';
import { computeStatus } from './status.ts';

const cfg = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] })]), cluster('west')]);
const src = source('east', [svc('shop', 'cart')], [slice('shop', 'cart', 'cart-1', [ep('10.1.0.1'), ep('10.1.0.2', { conditions: { ready: false } })])]);

test('a missing replica, then in sync once the plan is applied, with source readiness counted', () => {
  const { exports } = selectExports(cfg, [src]);
  const empty = destination('west', ['shop']);
  const first = computeStatus(exports, planAll(cfg, exports, [empty]), [empty]);
  assert.deepEqual(first.map((r) => [r.namespace, r.name, r.sources, r.endpoints]), [['shop', 'cart', ['east'], { ready: 1, total: 2 }]]);
  assert.equal(first[0]!.destinations[0]!.state, 'missing');
  const converged = applyPlan(empty, planAll(cfg, exports, [empty]));
  const second = computeStatus(exports, planAll(cfg, exports, [converged]), [converged]);
  assert.deepEqual(second[0]!.destinations, [{ cluster: 'west', state: 'in-sync' }]);
});

test('a hand-edited replica is drift; a Service mcsync does not own is a conflict; an unreachable one says so', () => {
  const { exports } = selectExports(cfg, [src]);
  const converged = applyPlan(destination('west', ['shop']), planAll(cfg, exports, [destination('west', ['shop'])]));
  const edited = { ...converged, ownedSlices: converged.ownedSlices.map((s) => ({ ...s, endpoints: [] })) };
  assert.equal(computeStatus(exports, planAll(cfg, exports, [edited]), [edited])[0]!.destinations[0]!.state, 'drift');
  const local = destination('west', ['shop'], [svc('shop', 'cart')]);
  const conflict = computeStatus(exports, planAll(cfg, exports, [local]), [local])[0]!.destinations[0]!;
  assert.equal(conflict.state, 'conflict');
  assert.match(conflict.detail ?? '', /not created by mcsync/);
  assert.equal(computeStatus(exports, planAll(cfg, exports, []), [], new Set(['west']))[0]!.destinations[0]!.state, 'unreachable');
});
