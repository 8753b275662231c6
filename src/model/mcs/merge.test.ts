import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { svc, slice, ep } from '../fixtures.test-util.ts';
import type { ServiceExport } from '../../vocab/mcs.ts';
import type { Service, ServicePort } from '../../vocab/objects.ts';
import { constituentOf, mergeConstituents, portsWonBy, type Constituent } from './merge.ts';
import { filterSlicePorts } from './render.ts';

function se(created: string, spec: ServiceExport['spec'] = {}): ServiceExport {
  return { apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'hello', namespace: 'ns', creationTimestamp: created }, spec };
}

const TCP42: ServicePort = { name: 'tcp', protocol: 'TCP', port: 42 };
const UDP42: ServicePort = { name: 'udp', protocol: 'UDP', port: 42 };

function constituent(cluster: string, created: string, o: { ports?: ServicePort[]; spec?: Partial<Service['spec']>; export?: ServiceExport['spec']; service?: Service | null } = {}): Constituent {
  const service = o.service === null ? undefined : (o.service ?? svc('ns', 'hello', { ports: o.ports ?? [TCP42, UDP42], spec: o.spec }));
  const c: Constituent = { cluster, serviceExport: se(created, o.export), slices: [] };
  if (service) c.service = service;
  return c;
}

describe('mergeConstituents: the KEP merge rules', () => {
  it('the oldest export wins the type and the conflict is reported, whatever the input order', () => {
    const a = constituent('a', '2026-01-01T00:00:00Z');
    const b = constituent('b', '2026-01-01T00:00:05Z', { spec: { clusterIP: 'None' } });
    for (const input of [[a, b], [b, a]]) {
      const { merged } = mergeConstituents('ns', 'hello', input);
      assert.equal(merged!.type, 'ClusterSetIP');
      assert.deepEqual(merged!.conflicts.map((c) => c.reason), ['TypeConflict']);
    }
  });

  it('ties on creationTimestamp are broken by cluster name', () => {
    const z = constituent('z', '2026-01-01T00:00:00Z', { spec: { sessionAffinity: 'ClientIP' } });
    const m = constituent('m', '2026-01-01T00:00:00Z', { spec: { sessionAffinity: 'None' } });
    assert.equal(mergeConstituents('ns', 'hello', [z, m]).merged!.sessionAffinity, 'None');
  });

  it('ports are the union; a different port set is a PortConflict even without a clash', () => {
    const a = constituent('a', '2026-01-01T00:00:00Z');
    const b = constituent('b', '2026-01-01T00:00:05Z', { ports: [TCP42, { name: 'stcp', protocol: 'SCTP', port: 142 }] });
    const { merged } = mergeConstituents('ns', 'hello', [a, b]);
    assert.deepEqual(merged!.ports.map((p) => `${p.name}/${p.protocol}/${p.port}:${p.clusters.join('+')}`), ['stcp/SCTP/142:b', 'tcp/TCP/42:a+b', 'udp/UDP/42:a']);
    assert.deepEqual(merged!.conflicts.map((c) => c.reason), ['PortConflict']);
  });

  it('a port name defined differently later is not imported from that cluster', () => {
    const a = constituent('a', '2026-01-01T00:00:00Z');
    const b = constituent('b', '2026-01-01T00:00:05Z', { ports: [{ ...TCP42, port: 43 }] });
    const { merged } = mergeConstituents('ns', 'hello', [a, b]);
    assert.deepEqual(merged!.ports.map((p) => `${p.name}/${p.port}`), ['tcp/42', 'udp/42']);
    assert.deepEqual(portsWonBy(merged!, 'b'), []);
    assert.match(merged!.conflicts[0]!.message, /port tcp in b/);
  });

  it('exported labels and annotations come from the oldest export, and differences are conflicts', () => {
    const a = constituent('a', '2026-01-01T00:00:00Z', { export: { exportedLabels: { x: '1' }, exportedAnnotations: { y: '1' } } });
    const b = constituent('b', '2026-01-01T00:00:05Z', { export: { exportedLabels: { x: '2' }, exportedAnnotations: { z: '1' } } });
    const { merged } = mergeConstituents('ns', 'hello', [b, a]);
    assert.deepEqual(merged!.exportedLabels, { x: '1' });
    assert.deepEqual(merged!.exportedAnnotations, { y: '1' });
    assert.deepEqual(merged!.conflicts.map((c) => c.reason), ['LabelsConflict', 'AnnotationsConflict']);
  });

  it('an export without a Service, or of an ExternalName one, is invalid and takes no part', () => {
    const a = constituent('a', '2026-01-01T00:00:00Z', { service: null });
    const b = constituent('b', '2026-01-01T00:00:05Z', { spec: { type: 'ExternalName', externalName: 'example.com' } });
    const m = mergeConstituents('ns', 'hello', [a, b]);
    assert.equal(m.merged, undefined);
    assert.deepEqual(m.invalid.map((i) => `${i.cluster}:${i.reason}`), ['a:NoService', 'b:InvalidServiceType']);
  });

  it('per-port filtering: a cluster\'s slices keep only the ports its export won', () => {
    const a = constituent('a', '2026-01-01T00:00:00Z');
    const b = constituent('b', '2026-01-01T00:00:05Z', { ports: [TCP42, { ...UDP42, port: 43 }] });
    const { merged } = mergeConstituents('ns', 'hello', [a, b]);
    const s = slice('ns', 'hello', 'hello-b1', [ep('10.1.0.5')], { ports: [{ name: 'tcp', protocol: 'TCP', port: 8042 }, { name: 'udp', protocol: 'UDP', port: 8043 }] });
    assert.deepEqual(filterSlicePorts(merged!, 'b', [s])[0]!.ports, [{ name: 'tcp', protocol: 'TCP', port: 8042 }]);
    assert.equal(filterSlicePorts(merged!, 'a', [s])[0]!.ports!.length, 2);
  });

  it('property: the merge does not depend on input order, and the union holds every winning port once', () => {
    const portArb = fc.record({ name: fc.constantFrom('a', 'b', 'c'), protocol: fc.constantFrom('TCP', 'UDP'), port: fc.integer({ min: 1, max: 4 }) });
    const cArb = fc.record({
      // A valid Service: names unique, and no protocol and number twice.
      ports: fc.uniqueArray(portArb, { selector: (p) => p.name, maxLength: 3 }).filter((ps) => new Set(ps.map((p) => `${p.protocol}/${p.port}`)).size === ps.length),
      second: fc.integer({ min: 0, max: 3 }),
      headless: fc.boolean(),
    });
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), cArb), { selector: (t) => t[0], minLength: 1, maxLength: 4 }), fc.integer(), (rows, seed) => {
      const cs = rows.map(([cluster, r]) => constituent(cluster, `2026-01-01T00:00:0${r.second}Z`, { ports: r.ports, spec: r.headless ? { clusterIP: 'None' } : {} }));
      const shuffled = [...cs].sort(() => 0).reverse();
      if (seed % 2) shuffled.push(shuffled.shift()!);
      const m1 = mergeConstituents('ns', 'hello', cs).merged!;
      const m2 = mergeConstituents('ns', 'hello', shuffled).merged!;
      assert.deepEqual(m1, m2);
      const names = m1.ports.map((p) => p.name ?? '');
      assert.equal(new Set(names).size, names.length);
      const identities = m1.ports.map((p) => `${p.protocol}/${p.port}`);
      assert.equal(new Set(identities).size, identities.length);
      // The oldest constituent wins every one of its ports.
      const oldest = m1.constituents[0]!;
      for (const p of oldest.service!.spec.ports ?? []) assert.ok(m1.ports.some((q) => q.name === p.name && q.port === p.port && q.clusters.includes(oldest.cluster)));
      // A conflict is reported exactly when some constituent differs from the oldest in type or ports.
      const differs = m1.constituents.some((c) => JSON.stringify(c.service!.spec.ports) !== JSON.stringify(oldest.service!.spec.ports) || c.service!.spec.clusterIP !== oldest.service!.spec.clusterIP);
      assert.equal(m1.conflicts.length > 0, differs);
    }));
  });
});

describe('constituentOf: the endpoint guard of the exporting cluster', () => {
  const web = slice('ns', 'hello', 'hello-1', [ep('10.1.0.5'), ep('10.9.0.7')]);
  const addresses = (c: Constituent) => c.slices.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));

  it('without podCIDRs in the config, the Nodes\' ranges bound the slices, and what they drop is reported', () => {
    const { constituent, rejected } = constituentOf({ name: 'a' }, se('2026-01-01T00:00:00Z'), svc('ns', 'hello'), [web], ['10.1.0.0/16']);
    assert.deepEqual(addresses(constituent), ['10.1.0.5']);
    assert.deepEqual(rejected, [{ cluster: 'a', namespace: 'ns', name: 'hello', reason: 'outside-pod-cidrs', what: '10.9.0.7', count: 1 }]);
  });

  it('the config\'s podCIDRs win over the Nodes\'', () => {
    const { constituent } = constituentOf({ name: 'a', podCIDRs: ['10.9.0.0/16'] }, se('2026-01-01T00:00:00Z'), svc('ns', 'hello'), [web], ['10.1.0.0/16']);
    assert.deepEqual(addresses(constituent), ['10.9.0.7']);
  });

  it('no ranges known at all: the range check is off, nothing is dropped', () => {
    const { constituent, rejected } = constituentOf({ name: 'a' }, se('2026-01-01T00:00:00Z'), svc('ns', 'hello'), [web]);
    assert.deepEqual(addresses(constituent), ['10.1.0.5', '10.9.0.7']);
    assert.deepEqual(rejected, []);
  });
});
