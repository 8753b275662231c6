import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, cluster, config, destination, ep, rule, slice, source, svc } from './fixtures.test-util.ts';
import { planAll } from './plan.ts';
import { planPrune } from './prune.ts';
import { cmp } from './canonical.ts';
import { selectExports } from './select.ts';

test('prune deletes exactly what this instance owns: slices first, then Services', () => {
  const cfg = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] })]), cluster('west')]);
  const { exports } = selectExports(cfg, [source('east', [svc('shop', 'cart')], [slice('shop', 'cart', 'c1', [ep('10.1.0.1')])])]);
  const start = destination('west', ['shop'], [svc('shop', 'local-only')]);
  const synced = applyPlan(start, planAll(cfg, exports, [start]));
  const other = { ...synced, services: [...synced.services, svc('shop', 'theirs', { labels: { 'mcsync.io/managed-by': 'mcsync', 'mcsync.io/instance': 'another' } })] };
  const actions = planPrune(other, 'default');
  assert.ok(actions.every((a) => a.verb === 'delete'));
  assert.deepEqual(actions.map((a) => (a.verb === 'delete' ? `${a.ref.kind} ${a.ref.name}` : '')).map((s) => s.split(' ')[0]), ['EndpointSlice', 'Service']);
  const after = applyPlan(other, actions);
  assert.deepEqual(after.services.map((s) => s.metadata.name).sort(cmp), ['local-only', 'theirs'], 'not-owned and other-instance objects stay');
  assert.deepEqual(after.ownedSlices, []);
});

test('prune deletes this instance\'s ServiceImports and companion NetworkPolicies after its slices and Services, and nobody else\'s', () => {
  const mine = { 'mcsync.io/managed-by': 'mcsync', 'mcsync.io/instance': 'default' };
  const theirs = { 'mcsync.io/managed-by': 'mcsync', 'mcsync.io/instance': 'another' };
  const d = destination('west', ['shop'], [svc('shop', 'derived-0123456789abcdef', { labels: { ...mine, 'mcsync.io/import': 'shop.web' } })]);
  const imports = [
    { apiVersion: 'multicluster.x-k8s.io/v1beta1' as const, kind: 'ServiceImport' as const, metadata: { name: 'web', namespace: 'shop', labels: mine }, spec: { type: 'ClusterSetIP' as const, ports: [] } },
    { apiVersion: 'multicluster.x-k8s.io/v1beta1' as const, kind: 'ServiceImport' as const, metadata: { name: 'api', namespace: 'shop' }, spec: { type: 'ClusterSetIP' as const, ports: [] } },
  ];
  const policies = [
    { metadata: { name: 'web-from-remote.mcsync', namespace: 'shop', labels: mine }, spec: { podSelector: {} } },
    { metadata: { name: 'other', namespace: 'shop', labels: theirs }, spec: { podSelector: {} } },
  ];
  const actions = planPrune(d, 'default', { imports, policies } as never);
  assert.deepEqual(actions.map((a) => `${a.verb} ${a.ref.kind} ${a.ref.name}`), [
    'delete Service derived-0123456789abcdef',
    'delete ServiceImport web',
    'delete NetworkPolicy web-from-remote.mcsync',
  ]);
});
