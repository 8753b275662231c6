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
