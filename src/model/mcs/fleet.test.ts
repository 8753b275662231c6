import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cmp } from '../canonical.ts';
import { config, cluster, svc, slice, ep } from '../fixtures.test-util.ts';
import type { ServiceExport } from '../../vocab/mcs.ts';
import type { EndpointSlice } from '../../vocab/objects.ts';
import { planMcsFleet, type McsRead } from './fleet.ts';

const exported: ServiceExport = { apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'hello', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' } };
const written = () => ({ namespaces: new Set(['ns']), imports: [], derived: [], slices: [] });

/** a exports ns/hello with one address inside 10.1.0.0/16 and one outside; b is written to. */
function reads(podCidrs?: string[]): McsRead[] {
  const a: McsRead = { cluster: 'a', exports: [exported], services: [svc('ns', 'hello')], slices: [slice('ns', 'hello', 'hello-1', [ep('10.1.0.5'), ep('10.9.0.7')])], written: written() };
  if (podCidrs) a.podCidrs = podCidrs;
  return [a, { cluster: 'b', exports: [], services: [], slices: [], written: written() }];
}

const importedAddresses = (cfg: ReturnType<typeof config>, rs: McsRead[]) => planMcsFleet(cfg, rs, new Set(), '2026-01-01T00:00:00Z').actions
  .flatMap((a) => (a.verb === 'create' && a.ref.kind === 'EndpointSlice' && a.cluster === 'b' ? (a.object as EndpointSlice).endpoints ?? [] : []))
  .flatMap((e) => e.addresses)
  .sort(cmp);

describe('planMcsFleet: the endpoint guard of each exporter', () => {
  it('the pod ranges a cluster\'s Nodes declare bound its export when the config names none', () => {
    assert.deepEqual(importedAddresses(config([cluster('a'), cluster('b')], { mcs: true }), reads(['10.1.0.0/16'])), ['10.1.0.5']);
  });

  it('the config\'s podCIDRs win; no ranges known at all leaves the range check off', () => {
    assert.deepEqual(importedAddresses(config([cluster('a', [], { podCIDRs: ['10.9.0.0/16'] }), cluster('b')], { mcs: true }), reads(['10.1.0.0/16'])), ['10.9.0.7']);
    assert.deepEqual(importedAddresses(config([cluster('a'), cluster('b')], { mcs: true }), reads()), ['10.1.0.5', '10.9.0.7']);
  });
});

describe('planMcsFleet: routing notes', () => {
  it('a derived Service given IPv4 only while an export has IPv6 endpoints is noted for that cluster', () => {
    const cfg = config([cluster('a'), cluster('b')], { mcs: true });
    const a: McsRead = {
      cluster: 'a', exports: [exported],
      services: [svc('ns', 'hello', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } })],
      slices: [slice('ns', 'hello', 'hello-6', [ep('fd00:1::5')], { addressType: 'IPv6' })],
      written: written(),
    };
    const first = planMcsFleet(cfg, [a, { cluster: 'b', exports: [], services: [], slices: [], written: written() }], new Set(), '2026-01-01T00:00:00Z');
    assert.equal(first.services[0]!.notes, undefined, 'nothing read back yet: nothing to judge');
    const derived = first.actions.find((x) => x.verb === 'create' && x.ref.kind === 'Service' && x.cluster === 'b')!;
    const live = structuredClone((derived as { object: import('../../vocab/objects.ts').Service }).object);
    Object.assign(live.spec, { clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'], ipFamilies: ['IPv4'] });
    const b: McsRead = { cluster: 'b', exports: [], services: [], slices: [], written: { ...written(), derived: [live] } };
    const second = planMcsFleet(cfg, [a, b], new Set(), '2026-01-01T00:00:00Z');
    assert.equal(live.spec.ipFamilyPolicy, 'PreferDualStack');
    assert.deepEqual(second.services[0]!.notes?.map((n) => n.cluster), ['b']);
    assert.match(second.services[0]!.notes![0]!.message, /IPv6 endpoints are not reachable/);
  });
});
