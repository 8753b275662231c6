import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routingNotes, usesZoneHints, wantsDualStack, withZoneHint } from './routing.ts';
import { overlayService, serviceProjection, sliceProjection } from './projection.ts';
import { renderService } from './replica-service.ts';
import { renderSlices } from './replica-slices.ts';
import { mergeConstituents, type Constituent } from './mcs/merge.ts';
import { renderDerivedService, renderImportSlices } from './mcs/render.ts';
import { config, cluster, ep, exportOf, pair, slice, svc } from './fixtures.test-util.ts';
import type { Service } from '../vocab/objects.ts';

const cfg = pair();

test('zone hints: the distributions that use them, and each endpoint hinted for its own zone only', () => {
  assert.deepEqual(['PreferClose', 'PreferSameZone', 'PreferSameNode', 'Other', undefined].map(usesZoneHints), [true, true, true, false, false]);
  assert.deepEqual(withZoneHint(ep('10.0.0.1', { zone: 'z1' })).hints, { forZones: [{ name: 'z1' }] });
  assert.equal(withZoneHint(ep('10.0.0.1')).hints, undefined, 'no zone, no hint: kube-proxy then ignores hints (zone-blind), it never black-holes');
  assert.equal(withZoneHint(ep('10.0.0.1', { zone: '' })).hints, undefined);
});

test('wantsDualStack: asked for, or an IPv6 family', () => {
  const s = (spec: Partial<Service['spec']>) => svc('ns', 'x', { spec });
  assert.equal(wantsDualStack(s({ ipFamilyPolicy: 'RequireDualStack' })), true);
  assert.equal(wantsDualStack(s({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'] })), true);
  assert.equal(wantsDualStack(s({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] })), true);
  assert.equal(wantsDualStack(s({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] })), false);
  assert.equal(wantsDualStack(s({})), false);
});

test('replica slices of a Service asking for PreferSameZone carry zone hints, source hints are never copied, node hints never written', () => {
  const source = svc('shop', 'web', { spec: { trafficDistribution: 'PreferSameZone' } });
  const eps = [
    ep('10.1.0.1', { zone: 'z1', nodeName: 'n1', hints: { forZones: [{ name: 'z9' }], forNodes: [{ name: 'n1' }] } }),
    ep('10.1.0.2', { zone: 'z2' }),
    ep('10.1.0.3', { zone: 'z2', conditions: { ready: false } }),
    ep('10.1.0.4'),
  ];
  const src = [slice('shop', 'web', 'web-1', eps)];
  const [hinted] = renderSlices(cfg, 'shop', 'web', [exportOf(source, src)], [], { trafficDistribution: 'PreferSameZone' });
  assert.deepEqual(hinted!.endpoints!.map((e) => [e.addresses[0], e.hints]), [
    ['10.1.0.1', { forZones: [{ name: 'z1' }] }],
    ['10.1.0.2', { forZones: [{ name: 'z2' }] }],
    ['10.1.0.3', { forZones: [{ name: 'z2' }] }],
    ['10.1.0.4', undefined],
  ]);
  const [plain] = renderSlices(cfg, 'shop', 'web', [exportOf(source, src)], []);
  assert.ok(plain!.endpoints!.every((e) => e.hints === undefined), 'no distribution: no hints, not even the source\'s');
  assert.notEqual(sliceProjection(hinted!), sliceProjection(plain!), 'hints are compared, so a distribution change rewrites slices');
});

test('projection: a replica read back with the apiserver\'s defaults equals its render; externalIPs added by hand differ', () => {
  const source = svc('shop', 'web', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], trafficDistribution: 'PreferClose' } });
  const want = renderService(cfg, 'west', [exportOf(source)]).service;
  // An IPv4-only destination: PreferDualStack kept, one family allocated.
  const live: Service = structuredClone(want);
  Object.assign(live.spec, { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ipFamilies: ['IPv4'], internalTrafficPolicy: 'Cluster', sessionAffinity: 'None' });
  assert.equal(serviceProjection(live), serviceProjection(want));
  const single = renderService(cfg, 'west', [exportOf(svc('shop', 'web'))]).service;
  const liveSingle: Service = structuredClone(single);
  Object.assign(liveSingle.spec, { clusterIPs: ['10.96.0.5'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None' });
  assert.equal(serviceProjection(liveSingle), serviceProjection(single), 'a replica of an IPv4 source written before these fields existed is not rewritten');
  liveSingle.spec.externalIPs = ['192.0.2.7'];
  assert.notEqual(serviceProjection(liveSingle), serviceProjection(single));
  const headless = renderService(cfg, 'west', [exportOf(svc('shop', 'web', { clusterIP: 'None', spec: { ipFamilyPolicy: 'SingleStack' } }))]).service;
  const liveHeadless: Service = structuredClone(headless);
  Object.assign(liveHeadless.spec, { clusterIPs: ['None'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', internalTrafficPolicy: 'Cluster' });
  assert.equal(serviceProjection(liveHeadless), serviceProjection(headless), 'a selectorless headless Service gets RequireDualStack whatever was asked');
});

test('overlay: routing fields laid over, externalIPs taken off, SingleStack releases the secondary family, headless families left alone', () => {
  const live: Service = svc('shop', 'web', { spec: {
    selector: undefined, clusterIPs: ['10.96.0.5', 'fd00::5'], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack',
    internalTrafficPolicy: 'Local', trafficDistribution: 'PreferClose', externalIPs: ['192.0.2.7'],
  } });
  const single = renderService(cfg, 'west', [exportOf(svc('shop', 'web'))]).service;
  const down = overlayService(live, single);
  assert.equal(down.spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual([down.spec.clusterIPs, down.spec.ipFamilies], [['10.96.0.5'], ['IPv4']]);
  assert.equal(down.spec.externalIPs, undefined);
  assert.equal(down.spec.internalTrafficPolicy, undefined, 'left to the apiserver\'s default (Cluster)');
  assert.equal(down.spec.trafficDistribution, undefined);
  const dual = renderService(cfg, 'west', [exportOf(svc('shop', 'web', { spec: { ipFamilies: ['IPv6'], trafficDistribution: 'PreferSameNode' } }))]).service;
  const up = overlayService({ ...live, spec: { ...live.spec, ipFamilyPolicy: 'SingleStack', clusterIPs: ['10.96.0.5'], ipFamilies: ['IPv4'] } }, dual);
  assert.deepEqual([up.spec.ipFamilyPolicy, up.spec.clusterIPs, up.spec.trafficDistribution], ['PreferDualStack', ['10.96.0.5'], 'PreferSameNode']);
  const headless = renderService(cfg, 'west', [exportOf(svc('shop', 'web', { clusterIP: 'None' }))]).service;
  const h = overlayService({ ...live, spec: { ...live.spec, clusterIP: 'None', clusterIPs: ['None'], ipFamilyPolicy: 'RequireDualStack' } }, headless);
  assert.deepEqual([h.spec.ipFamilyPolicy, h.spec.ipFamilies], ['RequireDualStack', ['IPv4', 'IPv6']]);
});

test('notes: a Service with locality tiers is judged on its source\'s own distribution, not the PreferClose the tiers add', () => {
  const zoneless = slice('shop', 'web', 'web-4', [ep('10.1.0.1')]);
  const plain = exportOf(svc('shop', 'web'), [zoneless], 'east', { clusterSelectors: [{ propertySelector: { matchProperties: { region: 'eu' } } }] });
  const wanted = renderService(cfg, 'west', [plain]).service;
  assert.equal(wanted.spec.trafficDistribution, 'PreferClose');
  assert.deepEqual(routingNotes({ wanted, live: wanted, sources: [{ cluster: 'east', slices: [zoneless] }], tiered: { sourceDistribution: undefined } }), [], 'every endpoint gets the tier\'s hint, zone or not');
  assert.deepEqual(routingNotes({ wanted, live: wanted, sources: [{ cluster: 'east', slices: [zoneless] }], tiered: { sourceDistribution: 'PreferSameZone' } }).map((n) => n.kind), ['zoneless-endpoints'], 'same-zone preference within the tier needs zones');
});

test('notes: IPv6 endpoints into a Service given IPv4 only, zoneless ready endpoints under a distribution, Local policy', () => {
  const source = svc('shop', 'web', { spec: { ipFamilyPolicy: 'RequireDualStack', trafficDistribution: 'PreferSameZone', internalTrafficPolicy: 'Local' } });
  const wanted = renderService(cfg, 'west', [exportOf(source)]).service;
  const v4 = slice('shop', 'web', 'web-4', [ep('10.1.0.1', { zone: 'z1' }), ep('10.1.0.2', { conditions: { ready: false } })]);
  const v6 = slice('shop', 'web', 'web-6', [ep('fd00::1')], { addressType: 'IPv6' });
  const live = (families: string[]): Service => ({ ...wanted, spec: { ...wanted.spec, ipFamilies: families } });
  const notes = routingNotes({ wanted, live: live(['IPv4']), sources: [{ cluster: 'east', slices: [v4, v6] }] });
  assert.deepEqual(notes.map((n) => n.kind), ['family-missing', 'zoneless-endpoints', 'local-policy']);
  assert.match(notes[0]!.message, /IPv6 endpoints are not reachable .* IPv4 only/);
  assert.match(notes[1]!.message, /1 ready endpoint\(s\) from east have no zone/);
  assert.deepEqual(routingNotes({ wanted, live: live(['IPv4', 'IPv6']), sources: [{ cluster: 'east', slices: [v4] }] }).map((n) => n.kind), ['local-policy'],
    'both families given; the zoneless endpoint is not ready, so kube-proxy still uses hints');
  assert.deepEqual(routingNotes({ wanted, live: undefined, sources: [{ cluster: 'east', slices: [v6] }] }).map((n) => n.kind), ['zoneless-endpoints', 'local-policy'], 'not read back yet: no family verdict');
  const headless = renderService(cfg, 'west', [exportOf(svc('shop', 'web', { clusterIP: 'None', spec: { internalTrafficPolicy: 'Local', trafficDistribution: 'PreferClose' } }))]).service;
  assert.deepEqual(routingNotes({ wanted: headless, live: live(['IPv4']), sources: [{ cluster: 'east', slices: [v6] }] }), [], 'kube-proxy does not proxy a headless Service');
});

test('MCS: the derived Service carries the distribution and policy, PreferDualStack when any export has IPv6, and its slices the zone hints', () => {
  const c = config([cluster('a'), cluster('b')]);
  const se = (cl: string, t: string) => ({ apiVersion: 'multicluster.x-k8s.io/v1beta1' as const, kind: 'ServiceExport' as const, metadata: { name: 'hello', namespace: 'ns', creationTimestamp: t } });
  const a: Constituent = {
    cluster: 'a', serviceExport: se('a', '2026-01-01T00:00:00Z'),
    service: svc('ns', 'hello', { spec: { trafficDistribution: 'PreferClose', internalTrafficPolicy: 'Local', ipFamilies: ['IPv4'], externalIPs: ['192.0.2.7'] } }),
    slices: [slice('ns', 'hello', 'h-a', [ep('10.100.0.5', { zone: 'za' })])],
  };
  const b: Constituent = {
    cluster: 'b', serviceExport: se('b', '2026-02-01T00:00:00Z'),
    service: svc('ns', 'hello', { spec: { trafficDistribution: 'PreferClose', internalTrafficPolicy: 'Local', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] } }),
    slices: [slice('ns', 'hello', 'h-b', [ep('fd00:101::5', { zone: 'zb' })], { addressType: 'IPv6' })],
  };
  const merged = mergeConstituents('ns', 'hello', [a, b]).merged!;
  const derived = renderDerivedService(c, merged);
  assert.deepEqual([derived.spec.trafficDistribution, derived.spec.internalTrafficPolicy, derived.spec.ipFamilyPolicy], ['PreferClose', 'Local', 'PreferDualStack'],
    'b\'s IPv6 endpoints need an IPv6 address where the cluster has one');
  assert.equal(derived.spec.externalIPs, undefined);
  const slices = renderImportSlices(c, merged, []);
  const hints = slices.flatMap((s) => s.endpoints!.map((e) => [e.zone, e.hints]));
  assert.deepEqual(hints.sort(), [['za', { forZones: [{ name: 'za' }] }], ['zb', { forZones: [{ name: 'zb' }] }]]);
  const headless = renderDerivedService(c, mergeConstituents('ns', 'hello', [{ ...a, service: svc('ns', 'hello', { clusterIP: 'None', spec: { ipFamilyPolicy: 'RequireDualStack' } }) }]).merged!);
  assert.equal(headless.spec.ipFamilyPolicy, undefined, 'headless: every family without asking');
});
