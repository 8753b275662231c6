import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CLUSTER_ID_PROPERTY, SAME_AS_IMPORTER, invalidSelectors, selectorResults, type ClusterProperties, type ClusterSelector } from './selectors.ts';
import { MAX_ZONE_HINTS, OTHER_TIER, chooseTier, localityInactive, tierHints, type TierEndpoint } from './tiers.ts';

const cluster = (id: string, properties: Record<string, string> = {}): ClusterProperties => ({ id, properties });
const own: ClusterSelector = { propertySelector: { matchExpressions: [{ key: CLUSTER_ID_PROPERTY, operator: 'In', values: [SAME_AS_IMPORTER] }] } };
const region: ClusterSelector = { propertySelector: { matchProperties: { 'region.topology.k8s.io': SAME_AS_IMPORTER } } };

test('selector results follow the KEP: own cluster, then same region; a key the importer lacks matches nothing', () => {
  const fleet = [cluster('a', { 'region.topology.k8s.io': 'eu' }), cluster('b', { 'region.topology.k8s.io': 'eu' }), cluster('c', { 'region.topology.k8s.io': 'us' }), cluster('d')];
  assert.deepEqual(selectorResults([own, region], fleet[0]!, fleet), [['a'], ['a', 'b']]);
  assert.deepEqual(selectorResults([own, region], fleet[3]!, fleet), [['d'], []], 'd has no region: the region selector matches no cluster');
  const gpu: ClusterSelector = { propertySelector: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }], matchProperties: { 'region.topology.k8s.io': 'us' } } };
  assert.deepEqual(selectorResults([gpu], fleet[0]!, [...fleet, cluster('e', { gpu: 'high', 'region.topology.k8s.io': 'us' })]), [['e']]);
});

test('invalid selectors are named with where they are', () => {
  assert.equal(invalidSelectors([own, region]), undefined);
  assert.match(invalidSelectors([{ propertySelector: {} }]) ?? '', /clusterSelectors\[0\]: an empty propertySelector/);
  assert.match(invalidSelectors([{ propertySelector: { matchExpressions: [{ key: 'x', operator: 'In', values: [] }] } }]) ?? '', /matchExpressions\[0\]: In needs at least one value/);
  assert.match(invalidSelectors(Array.from({ length: 17 }, () => own)) ?? '', /at most 16/);
});

test('the first tier with a ready or serving endpoint is used; with none anywhere, every cluster', () => {
  const eps: TierEndpoint[] = [{ cluster: 'a', ready: false }, { cluster: 'b', ready: true }];
  assert.deepEqual(chooseTier([['a'], ['a', 'b']], eps), { tier: 1, clusters: ['a', 'b'] });
  assert.deepEqual(chooseTier([['a'], ['a', 'b']], [{ cluster: 'a', ready: false, serving: true }]), { tier: 0, clusters: ['a'] }, 'serving counts, as the KEP says');
  assert.deepEqual(chooseTier([['a']], [{ cluster: 'b', ready: true }]), { tier: 'all' });
});

test('hints: the chosen tier for every zone of the importer, the others for a zone no Node has; inactive without zones or with too many', () => {
  const eps: TierEndpoint[] = [{ cluster: 'b', zone: 'z1', ready: true }, { cluster: 'a', zone: 'z1', ready: true }];
  assert.deepEqual(tierHints({ tier: 0, clusters: ['b'] }, eps, ['z2', 'z1'], false), [['z1', 'z2'], [OTHER_TIER]]);
  assert.deepEqual(tierHints({ tier: 0, clusters: ['b'] }, eps, ['z1', 'z2'], true), [['z1', 'z2'], [OTHER_TIER]], 'z2 has no tier endpoint of its own: the tier serves it');
  assert.equal(tierHints({ tier: 'all' }, eps, ['z1'], false), undefined);
  assert.match(localityInactive([]) ?? '', /zone label/);
  assert.match(localityInactive(Array.from({ length: 9 }, (_, i) => `z${i}`)) ?? '', /more than a hint can name/);
});

const arbEndpoint = fc.record({ cluster: fc.constantFrom('a', 'b', 'c'), zone: fc.option(fc.constantFrom('z1', 'z2', 'z3'), { nil: undefined }), ready: fc.boolean(), serving: fc.boolean() });
const arbResults = fc.array(fc.subarray(['a', 'b', 'c']), { maxLength: 4 });
const arbZones = fc.subarray(['z1', 'z2', 'z3'], { minLength: 1 });

test('property: the chosen tier always has a usable endpoint, and is "all" only when no tier has one', () => {
  fc.assert(fc.property(arbResults, fc.array(arbEndpoint, { maxLength: 12 }), (results, eps) => {
    const choice = chooseTier(results, eps);
    const usableIn = (cs: readonly string[]) => eps.some((e) => cs.includes(e.cluster) && (e.ready || e.serving));
    if (choice.tier === 'all') return results.every((r) => !usableIn(r));
    return usableIn(choice.clusters) && results.slice(0, choice.tier).every((r) => !usableIn(r));
  }));
});

test('property: when hints are used, every endpoint has one, no hint names more zones than the API allows, and in every zone of the importer some ready endpoint of the tier is hinted when the tier has a ready one', () => {
  fc.assert(fc.property(arbResults, fc.array(arbEndpoint, { maxLength: 12 }), arbZones, fc.boolean(), (results, eps, zones, sameZone) => {
    const choice = chooseTier(results, eps);
    const hints = tierHints(choice, eps, zones, sameZone);
    if (!hints) return choice.tier === 'all';
    if (hints.length !== eps.length || hints.some((h) => h.length === 0 || h.length > MAX_ZONE_HINTS)) return false;
    if (choice.tier === 'all') return false;
    const tierReady = eps.some((e) => choice.clusters.includes(e.cluster) && e.ready);
    // kube-proxy in zone z uses the tier only if some ready endpoint is hinted for z.
    return !tierReady || zones.every((z) => eps.some((e, i) => e.ready && choice.clusters.includes(e.cluster) && hints[i]!.includes(z)));
  }));
});

test('property: an endpoint change that keeps the tier and the ready zones of the tier leaves every other endpoint\'s hints as they were', () => {
  fc.assert(fc.property(fc.array(arbEndpoint, { minLength: 2, maxLength: 10 }), arbZones, fc.boolean(), fc.nat(), (eps, zones, sameZone, k) => {
    const results = [['a'], ['a', 'b']];
    const before = chooseTier(results, eps);
    const i = k % eps.length;
    // The endpoint moves to another address: nothing routing reads changes.
    const after = eps.map((e, j) => (j === i ? { ...e } : e));
    const h0 = tierHints(before, eps, zones, sameZone);
    const h1 = tierHints(chooseTier(results, after), after, zones, sameZone);
    return JSON.stringify(h0) === JSON.stringify(h1);
  }));
});
