import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyAllowed, packEndpoints, renderService, renderSlices, replicaSliceName, globMatches } from './render.ts';
import { cluster, config, ep, pair, rule, slice, source, svc } from './fixtures.test-util.ts';
import { selectExports } from './select.ts';
import {
  ENDPOINT_ORIGINS,
  INSTANCE,
  MCS_SERVICE_NAME,
  MCS_SOURCE_CLUSTER,
  OWNED_BY,
  SERVICE_NAME,
  SLICE_MANAGED_BY,
  SLICE_MANAGED_BY_VALUE,
  SOURCES,
} from '../vocab/labels.ts';
import type { Export } from './types.ts';
import type { Endpoint, EndpointSlice, Service } from '../vocab/objects.ts';

function exportOf(service: Service, slices: EndpointSlice[] = [], sourceCluster = 'east', over: Partial<Export> = {}): Export {
  return { sourceCluster, service, slices, destinations: ['west'], conflictPolicy: 'skip', stampLabels: {}, stampAnnotations: {}, ...over };
}

const cfg = pair();

test('NodePort and LoadBalancer sources become ClusterIP replicas without node ports or load-balancer fields', () => {
  const lb = svc('management-ui', 'management-ui', {
    type: 'LoadBalancer',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 9001, nodePort: 31234, appProtocol: 'http' }],
    spec: {
      clusterIPs: ['10.0.0.10'],
      healthCheckNodePort: 32000,
      loadBalancerIP: '1.2.3.4',
      loadBalancerSourceRanges: ['0.0.0.0/0'],
      loadBalancerClass: 'x',
      allocateLoadBalancerNodePorts: true,
      externalIPs: ['5.6.7.8'],
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      publishNotReadyAddresses: false,
      trafficDistribution: 'PreferClose',
    },
  });
  lb.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
  const { service } = renderService(cfg, 'west', [exportOf(lb)]);
  assert.deepEqual(service.spec, { type: 'ClusterIP', ports: [{ name: 'http', protocol: 'TCP', port: 80, appProtocol: 'http' }] });
  assert.equal(service.status, undefined);
  assert.equal(service.metadata.uid, undefined);
  assert.equal(service.metadata.resourceVersion, undefined);

  const np = svc('stars', 'frontend', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
  assert.deepEqual(renderService(cfg, 'west', [exportOf(np)]).service.spec, { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] });
});

test('headless stays headless, ExternalName stays ExternalName, session affinity is carried', () => {
  const headless = svc('db', 'pg', { clusterIP: 'None', spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } });
  assert.deepEqual(renderService(cfg, 'west', [exportOf(headless)]).service.spec, {
    type: 'ClusterIP',
    clusterIP: 'None',
    ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
  });
  const ext = svc('x', 'search', { type: 'ExternalName', ports: [], spec: { externalName: 'search.example.com', clusterIP: undefined, selector: undefined } });
  assert.deepEqual(renderService(cfg, 'west', [exportOf(ext)]).service.spec, { type: 'ExternalName', externalName: 'search.example.com' });
  assert.deepEqual(renderSlices(cfg, 'x', 'search', [exportOf(ext, [slice('x', 'search', 's', [ep('10.0.0.1')])])], []), [], 'an ExternalName source has no replica slices');
});

test('labels and annotations: copy filter, stamps of the winner, ownership and SOURCES', () => {
  const c = config([cluster('east', [rule({ exportTo: ['west'] })], { replicaLabels: { stamp: 'east' }, replicaAnnotations: { 'stamp/a': '1' } }), cluster('west')]);
  const source = svc('shop', 'web', {
    labels: { app: 'web', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'web-1', [OWNED_BY]: 'spoof' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'mcsync.io/sources': 'zzz', note: 'keep' },
  });
  const [ex] = selectExports(c, [{ cluster: 'east', services: [source], slices: new Map() }]).exports;
  const { service } = renderService(c, 'west', [ex!]);
  assert.deepEqual(service.metadata.labels, { app: 'web', [INSTANCE]: 'default', [OWNED_BY]: 'mcsync', stamp: 'east' });
  assert.deepEqual(service.metadata.annotations, { [SOURCES]: 'east', note: 'keep', 'stamp/a': '1' });
});

test('copy filter: user exclude > user include > built-in exclusions > include list present', () => {
  assert.ok(globMatches('a/*', 'a/b/c'));
  assert.ok(globMatches('*.io/x', 'mcsync.io/x'));
  assert.ok(!globMatches('a.b', 'aXb'), 'dots are literal');
  // No filter: everything but the built-in exclusions.
  assert.ok(copyAllowed({ exclude: [] }, 'app'));
  assert.ok(!copyAllowed({ exclude: [] }, 'meta.helm.sh/release-name'));
  // The user's include overrides a built-in exclusion...
  assert.ok(copyAllowed({ include: ['meta.helm.sh/*'], exclude: [] }, 'meta.helm.sh/release-name'));
  // ...but with an include list, nothing else passes.
  assert.ok(!copyAllowed({ include: ['meta.helm.sh/*'], exclude: [] }, 'app'));
  assert.ok(!copyAllowed({ include: [], exclude: [] }, 'app'));
  // The user's exclude beats the user's include.
  assert.ok(!copyAllowed({ include: ['team/*'], exclude: ['team/secret'] }, 'team/secret'));
  assert.ok(copyAllowed({ include: ['team/*'], exclude: ['team/secret'] }, 'team/name'));
  // mcsync's own keys never cross, whatever the filter says.
  assert.ok(!copyAllowed({ include: ['*'], exclude: [] }, 'mcsync.io/sources'));
  assert.ok(!copyAllowed({ include: ['mcsync.io/*'], exclude: [] }, 'mcsync.io/instance'));
});

test('several sources: the oldest wins the spec, differing ports and kinds are conflicts, SOURCES lists all', () => {
  const old = svc('shop', 'web', { created: '2023-01-01T00:00:00Z', labels: { from: 'north' } });
  const young = svc('shop', 'web', { created: '2024-01-01T00:00:00Z', ports: [{ name: 'http', port: 8080 }], labels: { from: 'east' } });
  const headless = svc('shop', 'web', { created: '2025-01-01T00:00:00Z', clusterIP: 'None' });
  const r = renderService(cfg, 'west', [exportOf(young, [], 'east'), exportOf(headless, [], 'south'), exportOf(old, [], 'north')]);
  assert.equal(r.winner.sourceCluster, 'north');
  assert.deepEqual(r.service.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80 }]);
  assert.equal(r.service.metadata.labels!['from'], 'north');
  assert.equal(r.service.metadata.annotations![SOURCES], 'east,north,south');
  assert.deepEqual(r.conflicts.map((c) => [c.kind, c.cluster, c.namespace, c.name]), [
    ['port-mismatch', 'west', 'shop', 'web'],
    ['type-mismatch', 'west', 'shop', 'web'],
  ]);
  assert.match(r.conflicts[0]!.message, /east exports 8080\/TCP \(http\), north 80\/TCP \(http\); north has the oldest export and wins/);

  // Same age: the source cluster name breaks the tie.
  const tie = renderService(cfg, 'west', [exportOf(svc('shop', 'web'), [], 'b'), exportOf(svc('shop', 'web'), [], 'a')]);
  assert.equal(tie.winner.sourceCluster, 'a');
  assert.deepEqual(tie.conflicts, []);
  // Unavailable sources kept in SOURCES.
  assert.equal(renderService(cfg, 'west', [exportOf(svc('shop', 'web'))], ['gone']).service.metadata.annotations![SOURCES], 'east,gone');
});

test('replica slices: addresses, conditions, hostname and zone kept; nodeName, targetRef, hints dropped; provenance annotated', () => {
  const src = slice('db', 'pg', 'pg-abcde', [
    ep('10.1.0.2', {
      hostname: 'pg-1',
      zone: 'z1',
      nodeName: 'node-b',
      targetRef: { kind: 'Pod', namespace: 'db', name: 'pg-1', uid: 'u' },
      hints: { forZones: [{ name: 'z1' }] },
      deprecatedTopology: { a: 'b' },
      conditions: { ready: false, serving: false, terminating: true },
    }),
    ep('10.1.0.1', { hostname: 'pg-0', targetRef: { kind: 'Pod', name: 'pg-0' } }),
    ep('10.1.0.3', { nodeName: 'node-c' }),
    ep('10.1.0.4', { conditions: {} }),
  ], { ports: [{ name: 'pg', port: 5432 }] });
  const slices = renderSlices(cfg, 'db', 'pg', [exportOf(svc('db', 'pg', { clusterIP: 'None' }), [src])], []);
  assert.equal(slices.length, 1);
  const [s] = slices;
  assert.equal(s!.metadata.name, replicaSliceName('pg', 'east', 'IPv4', [{ name: 'pg', port: 5432 }], 1));
  assert.match(s!.metadata.name, /^pg-[0-9a-f]{8}-1$/);
  assert.deepEqual(s!.endpoints, [
    { addresses: ['10.1.0.1'], conditions: { ready: true, serving: true, terminating: false }, hostname: 'pg-0' },
    { addresses: ['10.1.0.2'], conditions: { ready: false, serving: false, terminating: true }, hostname: 'pg-1', zone: 'z1' },
    { addresses: ['10.1.0.3'], conditions: { ready: true, serving: true, terminating: false } },
    { addresses: ['10.1.0.4'], conditions: {} },
  ]);
  assert.deepEqual(s!.ports, [{ name: 'pg', protocol: 'TCP', port: 5432 }]);
  assert.equal(s!.metadata.annotations![ENDPOINT_ORIGINS], '{"10.1.0.1":"db/pg-0","10.1.0.2":"db/pg-1@node-b","10.1.0.3":"@node-c"}');
  assert.deepEqual(s!.metadata.labels, {
    'endpointslice.kubernetes.io/managed-by': SLICE_MANAGED_BY_VALUE,
    'kubernetes.io/service-name': 'pg',
    [INSTANCE]: 'default',
    [OWNED_BY]: 'mcsync',
    [MCS_SERVICE_NAME]: 'pg',
    [MCS_SOURCE_CLUSTER]: 'east',
  });
  assert.equal(s!.metadata.labels![SLICE_MANAGED_BY], SLICE_MANAGED_BY_VALUE);
  assert.equal(s!.metadata.labels![SERVICE_NAME], 'pg');
});

test('IPv6 and IPv4 slices of one source are separate groups; stamp labels ride along', () => {
  const c = config([cluster('east', [rule({ exportTo: ['west'] })], { replicaLabels: { region: 'eu' }, replicaAnnotations: { owner: 'x' } }), cluster('west')]);
  const srcSvc = svc('shop', 'web');
  const v4 = slice('shop', 'web', 'web-v4', [ep('10.1.0.1')]);
  const v6 = slice('shop', 'web', 'web-v6', [ep('fd00::2'), ep('fd00::1')], { addressType: 'IPv6' });
  const [ex] = selectExports(c, [source('east', [srcSvc], [v4, v6])]).exports;
  const slices = renderSlices(c, 'shop', 'web', [ex!], []);
  assert.deepEqual(slices.map((s) => s.addressType).sort(), ['IPv4', 'IPv6']);
  const six = slices.find((s) => s.addressType === 'IPv6')!;
  assert.deepEqual(six.endpoints!.map((e) => e.addresses[0]), ['fd00::1', 'fd00::2']);
  assert.equal(six.metadata.labels!['region'], 'eu');
  assert.deepEqual(six.metadata.annotations, { owner: 'x' });
});

test('named ports keep the source slice numbers; slices with different port numbers are different groups', () => {
  // Service port 80 named http; pods of two versions listen on 8080 and 9090.
  const a = slice('shop', 'web', 'web-a', [ep('10.1.0.1')], { ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] });
  const b = slice('shop', 'web', 'web-b', [ep('10.1.0.2')], { ports: [{ name: 'http', protocol: 'TCP', port: 9090 }] });
  const slices = renderSlices(cfg, 'shop', 'web', [exportOf(svc('shop', 'web'), [a, b])], []);
  assert.equal(slices.length, 2);
  assert.deepEqual(
    slices.map((s) => [s.ports, s.endpoints!.map((e) => e.addresses[0])]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    [
      [[{ name: 'http', protocol: 'TCP', port: 8080 }], ['10.1.0.1']],
      [[{ name: 'http', protocol: 'TCP', port: 9090 }], ['10.1.0.2']],
    ],
  );
  assert.notEqual(slices[0]!.metadata.name.split('-')[1], slices[1]!.metadata.name.split('-')[1]);
});

test('more than 100 endpoints pack into slices of at most 100, sorted by address; duplicates across source slices dedupe', () => {
  const addrs = Array.from({ length: 250 }, (_, i) => `10.1.${Math.floor(i / 200)}.${i % 200}`);
  const s1 = slice('shop', 'web', 'web-1', addrs.slice(0, 130).map((a) => ep(a)));
  const s2 = slice('shop', 'web', 'web-2', addrs.slice(120).map((a) => ep(a, { conditions: { ready: false } })));
  const slices = renderSlices(cfg, 'shop', 'web', [exportOf(svc('shop', 'web'), [s2, s1])], []);
  assert.deepEqual(slices.map((s) => s.endpoints!.length), [100, 100, 50]);
  assert.deepEqual(slices.map((s) => s.metadata.name.slice(-2)), ['-1', '-2', '-3']);
  const all = slices.flatMap((s) => s.endpoints!.map((e) => e.addresses[0]!));
  assert.deepEqual(all, [...addrs].sort());
  // The ten addresses in both source slices keep the ready copy.
  for (const e of slices.flatMap((s) => s.endpoints!)) {
    const i = addrs.indexOf(e.addresses[0]!);
    assert.equal(e.conditions?.ready, i < 130, e.addresses[0]);
  }
  // The limit is a parameter.
  assert.equal(renderSlices(cfg, 'shop', 'web', [exportOf(svc('shop', 'web'), [s1])], [], { maxEndpointsPerSlice: 7 }).length, Math.ceil(130 / 7));
});

test('slices of several sources are kept apart and each carries its source cluster', () => {
  const e = exportOf(svc('shop', 'web'), [slice('shop', 'web', 'a', [ep('10.1.0.1')])], 'east');
  const n = exportOf(svc('shop', 'web'), [slice('shop', 'web', 'b', [ep('10.1.0.1'), ep('10.3.0.1')])], 'north');
  const slices = renderSlices(cfg, 'shop', 'web', [n, e], []);
  assert.deepEqual(slices.map((s) => [s.metadata.labels![MCS_SOURCE_CLUSTER], s.endpoints!.length]).sort(), [['east', 1], ['north', 2]]);
});

const E = (a: string, ready = true): Endpoint => ({ addresses: [a], conditions: { ready } });
const firsts = (p: { n: number; endpoints: Endpoint[] }[]) => p.map((s) => [s.n, s.endpoints.map((e) => e.addresses[0])]);

test('packing is stable: kept endpoints stay, gaps are refilled first, then the lowest slice with room, then new numbers', () => {
  const existing = [
    { n: 1, endpoints: [E('a'), E('b'), E('c')] },
    { n: 2, endpoints: [E('d'), E('e')] },
    { n: 4, endpoints: [E('f'), E('g'), E('h')] },
  ];
  // g departs; w, x, y, z arrive (sorted): w fills 4's gap, x goes to 2 (lowest with room), y and z to new slice 3.
  const desired = ['a', 'b', 'c', 'd', 'e', 'f', 'h', 'x', 'y', 'z', 'w'].map((a) => E(a));
  const packed = packEndpoints(desired, existing, 3);
  assert.deepEqual(firsts(packed), [
    [1, ['a', 'b', 'c']],
    [2, ['d', 'e', 'x']],
    [3, ['y', 'z']],
    [4, ['f', 'h', 'w']],
  ]);
  // Conditions are refreshed in place.
  assert.equal(packEndpoints([E('a', false)], [{ n: 5, endpoints: [E('a')] }], 3)[0]!.endpoints[0]!.conditions?.ready, false);
  // An emptied slice disappears; a reserved number is skipped.
  assert.deepEqual(firsts(packEndpoints([E('q')], [{ n: 2, endpoints: [E('a')] }], 3)), [[2, ['q']]]);
  assert.deepEqual(firsts(packEndpoints([], [{ n: 2, endpoints: [E('a')] }], 3)), []);
  assert.deepEqual(firsts(packEndpoints([E('a'), E('b')], [], 1, (n) => n !== 1)), [[2, ['a']], [3, ['b']]]);
  // An address duplicated across existing slices stays in the lower one; an overfull slice sheds its tail.
  assert.deepEqual(firsts(packEndpoints([E('a'), E('b'), E('c')], [{ n: 1, endpoints: [E('a'), E('b'), E('c')] }, { n: 2, endpoints: [E('a')] }], 2)), [
    [1, ['a', 'b']],
    [2, ['c']],
  ]);
});

test('renderSlices repacks only live owned slices of the same group and never reuses another object\'s name', () => {
  const ex = exportOf(svc('shop', 'web'), [slice('shop', 'web', 'w', [ep('10.1.0.1'), ep('10.1.0.2')])]);
  const [first] = renderSlices(cfg, 'shop', 'web', [ex], [], { maxEndpointsPerSlice: 1 });
  const name1 = first!.metadata.name;
  const name2 = name1.replace(/-1$/, '-2');
  const name3 = name1.replace(/-1$/, '-3');
  // Slot 1 holds a foreign slice (not owned), slot 2 one being deleted: both names are skipped.
  const foreign: EndpointSlice = { ...first!, metadata: { name: name1, namespace: 'shop', labels: {} } };
  const dying: EndpointSlice = { ...first!, metadata: { ...first!.metadata, name: name2, deletionTimestamp: 'now' } };
  const out = renderSlices(cfg, 'shop', 'web', [ex], [foreign, dying], { maxEndpointsPerSlice: 1 });
  assert.deepEqual(out.map((s) => s.metadata.name), [name3, name1.replace(/-1$/, '-4')]);
});
