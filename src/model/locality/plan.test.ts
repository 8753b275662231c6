import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, cluster, config, destination, ep, exportOf, slice, svc } from '../fixtures.test-util.ts';
import { planDestination } from '../plan.ts';
import { mergeConstituents } from '../mcs/merge.ts';
import { planMcs } from '../mcs/plan.ts';
import { CLUSTER_ID_PROPERTY, SAME_AS_IMPORTER, type ClusterSelector } from '../../vocab/cluster-selectors.ts';
import { CLUSTER_SELECTORS } from '../../vocab/labels.ts';
import type { ServiceExport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Service } from '../../vocab/objects.ts';
import type { Action } from '../types.ts';
import { clusterPropertiesOf, HEADLESS_INACTIVE, MERGED_INACTIVE, type LocalityView } from './plan.ts';
import { OTHER_TIER } from './tiers.ts';

const REGION = 'region';
const sameRegion: ClusterSelector = { propertySelector: { matchProperties: { [REGION]: SAME_AS_IMPORTER } } };
const ownCluster: ClusterSelector = { propertySelector: { matchExpressions: [{ key: CLUSTER_ID_PROPERTY, operator: 'In', values: [SAME_AS_IMPORTER] }] } };

/** a and b in eu, c in us; b's Nodes are in two zones. */
const places = (zones: Record<string, string[] | undefined> = { b: ['eu-1', 'eu-2'] }): LocalityView => ({
  properties: (c) => clusterPropertiesOf(c, { [REGION]: c === 'c' ? 'us' : 'eu' }, undefined),
  zones: (c) => zones[c],
});

const hintsIn = (actions: readonly Action[]) => {
  const out: Record<string, string[]> = {};
  for (const a of actions) {
    if (a.verb === 'delete' || a.ref.kind !== 'EndpointSlice') continue;
    for (const e of (a.object as EndpointSlice).endpoints ?? []) out[e.addresses[0]!] = (e.hints?.forZones ?? []).map((z) => z.name);
  }
  return out;
};

describe('locality tiers on the replica path', () => {
  const cfg = config([cluster('a'), cluster('b'), cluster('c')]);
  const web = (from: string, ready = true, o: Partial<Service['spec']> = {}) =>
    exportOf(svc('shop', 'web', { spec: o }), [slice('shop', 'web', `web-${from}`, [ep(from === 'a' ? '10.1.0.1' : '10.3.0.1', { zone: `${from}-z`, conditions: { ready, serving: ready, terminating: false } })])], from, { destinations: ['b'], clusterSelectors: [sameRegion] });

  test('the nearest tier with a ready endpoint is hinted for every zone of the importer, the others for no Node\'s zone; the Service reads hints', () => {
    const plan = planDestination(cfg, destination('b', ['shop']), [web('a'), web('c')], { locality: places() });
    assert.deepEqual(hintsIn(plan.actions), { '10.1.0.1': ['eu-1', 'eu-2'], '10.3.0.1': [OTHER_TIER] });
    const service = plan.actions.find((a) => a.ref.kind === 'Service')!;
    assert.equal((service as { object: Service }).object.spec.trafficDistribution, 'PreferClose');
    assert.deepEqual(plan.locality, [{ cluster: 'b', namespace: 'shop', name: 'web', tier: 0, clusters: ['a'] }]);
  });

  test('with no ready endpoint in any tier: every cluster, with the Service\'s own distribution (none here: no hints)', () => {
    const plan = planDestination(cfg, destination('b', ['shop']), [web('a', false), web('c', false)], { locality: places() });
    assert.deepEqual(hintsIn(plan.actions), { '10.1.0.1': [], '10.3.0.1': [] });
    assert.deepEqual(plan.locality?.[0]?.tier, 'all');
  });

  test('the tier moves when its last endpoint is not ready, and only the hints change', () => {
    let dest = applyPlan(destination('b', ['shop']), planDestination(cfg, destination('b', ['shop']), [web('a'), web('c')], { locality: places() }));
    const next = planDestination(cfg, dest, [web('a', false), web('c')], { locality: places() });
    assert.deepEqual(next.actions.map((a) => `${a.verb} ${a.ref.kind}`), ['update EndpointSlice', 'update EndpointSlice'], 'the hints of both sources change; the Service does not');
    assert.deepEqual(next.locality?.[0]?.tier, 'all', 'no other tier here: every cluster');
    dest = applyPlan(dest, next);
    // Back: an unrelated address change of c keeps every hint, so a's slice is not rewritten.
    const back = planDestination(cfg, dest, [web('a'), web('c')], { locality: places() });
    dest = applyPlan(dest, back);
    const moved = exportOf(svc('shop', 'web'), [slice('shop', 'web', 'web-c', [ep('10.3.0.2', { zone: 'c-z' })])], 'c', { destinations: ['b'], clusterSelectors: [sameRegion] });
    const churn = planDestination(cfg, dest, [web('a'), moved], { locality: places() });
    assert.equal(churn.actions.length, 1);
    assert.deepEqual(hintsIn(churn.actions), { '10.3.0.2': [OTHER_TIER] });
  });

  test('limits: unknown or missing zones, headless, and a Service merged with a local one make locality inactive and say why', () => {
    const noZones = planDestination(cfg, destination('b', ['shop']), [web('a'), web('c')], { locality: places({ b: [] }) });
    assert.match(noZones.locality?.[0]?.inactive ?? '', /zone label/);
    const unknown = planDestination(cfg, destination('b', ['shop']), [web('a'), web('c')]);
    assert.match(unknown.locality?.[0]?.inactive ?? '', /not read/);
    const headless = planDestination(cfg, destination('b', ['shop']), [web('a', true, { clusterIP: 'None' }), web('c', true, { clusterIP: 'None' })], { locality: places() });
    assert.equal(headless.locality?.[0]?.inactive, HEADLESS_INACTIVE);
    const local = svc('shop', 'web');
    const merging = (from: string) => ({ ...web(from), conflictPolicy: 'merge' as const });
    const merged = planDestination(cfg, destination('b', ['shop'], [local]), [merging('a'), merging('c')], { locality: places() });
    assert.equal(merged.locality?.[0]?.inactive, MERGED_INACTIVE);
    assert.deepEqual(hintsIn(merged.actions), { '10.1.0.1': [], '10.3.0.1': [] }, 'the local Service has no distribution: no hints');
  });
});

describe('locality tiers on the MCS path', () => {
  const cfg = config([cluster('a'), cluster('b')], { mcs: true });
  const se = (c: string, tiers?: string): ServiceExport => ({
    apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport',
    metadata: { name: 'web', namespace: 'shop', creationTimestamp: c === 'a' ? '2026-01-01T00:00:00Z' : '2026-01-02T00:00:00Z', uid: `se-${c}`, ...(tiers ? { annotations: { [CLUSTER_SELECTORS]: tiers } } : {}) },
  });
  const constituent = (c: string, tiers?: string) => ({
    cluster: c, serviceExport: se(c, tiers), service: svc('shop', 'web'),
    slices: [slice('shop', 'web', `web-${c}`, [ep(c === 'a' ? '10.1.0.1' : '10.2.0.1', { zone: `${c}-z` })])],
  });
  const views = ['a', 'b'].map((c) => ({ cluster: c, hasNamespace: true, slices: [] }));
  const own = JSON.stringify([ownCluster]);

  test('[own cluster]: each importing cluster sends its traffic to its own endpoints, the derived Service reads hints', () => {
    const merge = mergeConstituents('shop', 'web', [constituent('a', own), constituent('b', own)]);
    const plan = planMcs(cfg, { namespace: 'shop', name: 'web', merge, views, exports: new Map(), unavailable: new Set(), now: '2026-12-06T00:00:00Z', locality: places({ a: ['a-z'], b: ['b-z'] }) });
    const inB = hintsIn(plan.actions.filter((a) => a.cluster === 'b'));
    assert.deepEqual(inB, { '10.1.0.1': [OTHER_TIER], '10.2.0.1': ['b-z'] });
    const derived = plan.actions.find((a) => a.cluster === 'b' && a.ref.kind === 'Service') as { object: Service };
    assert.equal(derived.object.spec.trafficDistribution, 'PreferClose');
    assert.deepEqual(plan.locality.map((l) => [l.cluster, l.tier, l.clusters]), [['a', 0, ['a']], ['b', 0, ['b']]]);
  });

  test('an annotation that is not a list of selectors is reported, and no tier applies', () => {
    const merge = mergeConstituents('shop', 'web', [constituent('a', '[{"propertySelector": {}}]'), constituent('b')]);
    const plan = planMcs(cfg, { namespace: 'shop', name: 'web', merge, views, exports: new Map(), unavailable: new Set(), now: '2026-12-06T00:00:00Z', locality: places() });
    assert.match(plan.problems.map((p) => p.message).join('\n'), /InvalidClusterSelector: annotation mcsync\.io\/cluster-selectors: clusterSelectors\[0\]: an empty propertySelector/);
    assert.deepEqual(plan.locality, []);
    assert.ok(merge.merged!.conflicts.some((c) => c.reason === 'ClusterSelectorsConflict'), 'b\'s export has no tiers: a conflict, the oldest wins');
  });
});
