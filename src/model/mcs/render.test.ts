import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { config, cluster, svc } from '../fixtures.test-util.ts';
import type { ServiceExport } from '../../vocab/mcs.ts';
import type { Service } from '../../vocab/objects.ts';
import { mergeConstituents } from './merge.ts';
import { renderDerivedService, renderServiceImport } from './render.ts';

const cfg = config([cluster('a'), cluster('b')]);

function se(c: string, created: string): ServiceExport {
  return { apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'hello', namespace: 'ns', creationTimestamp: created, uid: `se-${c}` } };
}

function headless(families: string[]): Service {
  return svc('ns', 'hello', { clusterIP: 'None', spec: { clusterIP: 'None', ipFamilyPolicy: 'PreferDualStack', ipFamilies: families } });
}

/** What the apiserver makes of the derived Service: a selectorless headless one that prefers dual-stack gets both families anywhere. */
function derivedAsAllocated(families: string[], merged: ReturnType<typeof mergeConstituents>): Service {
  const d = renderDerivedService(cfg, merged.merged!);
  return { ...d, spec: { ...d.spec, ipFamilies: families, clusterIPs: ['None'] } };
}

describe('renderServiceImport families', () => {
  it('a headless import has the families of the exported Services, not the derived Service\'s', () => {
    const m = mergeConstituents('ns', 'hello', [{ cluster: 'a', serviceExport: se('a', '2026-01-01T00:00:00Z'), service: headless(['IPv4']), slices: [] }]);
    const si = renderServiceImport(cfg, m.merged!, derivedAsAllocated(['IPv4', 'IPv6'], m), ['a']);
    assert.equal(si.spec.type, 'Headless');
    assert.deepEqual(si.spec.ipFamilies, ['IPv4']);
    assert.equal(si.spec.ips, undefined);
  });

  it('the families of every exporting cluster count, the oldest export\'s first', () => {
    const m = mergeConstituents('ns', 'hello', [
      { cluster: 'b', serviceExport: se('b', '2026-01-02T00:00:00Z'), service: headless(['IPv4', 'IPv6']), slices: [] },
      { cluster: 'a', serviceExport: se('a', '2026-01-01T00:00:00Z'), service: headless(['IPv6']), slices: [] },
    ]);
    assert.deepEqual(renderServiceImport(cfg, m.merged!, derivedAsAllocated(['IPv4', 'IPv6'], m), ['a', 'b']).spec.ipFamilies, ['IPv6', 'IPv4']);
  });

  it('a ClusterSetIP import keeps the derived Service\'s families and IPs, in its order', () => {
    const m = mergeConstituents('ns', 'hello', [{ cluster: 'a', serviceExport: se('a', '2026-01-01T00:00:00Z'), service: svc('ns', 'hello', { spec: { ipFamilies: ['IPv4'] } }), slices: [] }]);
    const d = renderDerivedService(cfg, m.merged!);
    const si = renderServiceImport(cfg, m.merged!, { ...d, spec: { ...d.spec, ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['10.200.0.9', 'fd00::9'] } }, ['a']);
    assert.deepEqual(si.spec.ipFamilies, ['IPv4', 'IPv6']);
    assert.deepEqual(si.spec.ips, ['10.200.0.9', 'fd00::9']);
  });
});
