import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, cluster, config, destination, ep, exportOf, rule, slice, svc } from './fixtures.test-util.ts';
import { planDestination } from './plan.ts';
import { clusterId, clusterOfId } from './cluster-id.ts';
import { mergeConstituents } from './mcs/merge.ts';
import { renderServiceImport } from './mcs/render.ts';
import type { EndpointSlice } from '../vocab/objects.ts';

const cfg = config([cluster('east', [rule({ exportTo: ['west'] })], { id: 'prod-east' }), cluster('west')]);
const web = () => exportOf(svc('shop', 'web'), [slice('shop', 'web', 'web-1', [ep('10.1.0.1')])], 'east', { destinations: ['west'] });

test('a cluster with an id of its own is named by it where MCS consumers read, and by its name everywhere else', () => {
  assert.equal(clusterId(cfg, 'east'), 'prod-east');
  assert.equal(clusterId(cfg, 'west'), 'west');
  assert.equal(clusterOfId(cfg, 'prod-east'), 'east');
  assert.equal(clusterOfId(cfg, 'gone'), 'gone', 'an id no cluster claims stands for itself');
});

test('replica slices carry the source\'s id, are recognised by it on the next plan, and are kept by it while the source is unavailable', () => {
  const plan = planDestination(cfg, destination('west', ['shop']), [web()]);
  const created = plan.actions.filter((a) => a.ref.kind === 'EndpointSlice').map((a) => (a as { object: EndpointSlice }).object);
  assert.deepEqual(created.map((s) => s.metadata.labels?.['multicluster.kubernetes.io/source-cluster']), ['prod-east']);
  assert.deepEqual(created.map((s) => s.metadata.labels?.['mcsync.io/source-cluster']), ['east'], 'the name too, as the id is not the name');
  const dest = applyPlan(destination('west', ['shop']), plan);
  assert.deepEqual(planDestination(cfg, dest, [web()]).actions, [], 'converged: its own slices are found by the id');
  assert.deepEqual(planDestination(cfg, dest, [], { unavailableSources: new Set(['east']) }).actions.filter((a) => a.ref.kind === 'EndpointSlice'), [], 'unavailable east: its slices stay');
});

test('a ServiceImport lists its exporting clusters by id', () => {
  const merged = mergeConstituents('shop', 'web', [{ cluster: 'east', serviceExport: { apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'web', namespace: 'shop' } }, service: svc('shop', 'web'), slices: [] }]).merged!;
  assert.deepEqual(renderServiceImport(cfg, merged, undefined, ['east', 'west']).status?.clusters, [{ cluster: 'prod-east' }, { cluster: 'west' }]);
});
