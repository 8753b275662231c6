import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSlices } from './replica-slices.ts';
import { replicaSliceName } from './slice-names.ts';
import { cmp } from './canonical.ts';
import { cluster, config, ep, exportOf, pair, rule, slice, source, svc } from './fixtures.test-util.ts';
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
} from '../vocab/labels.ts';
import type { EndpointSlice } from '../vocab/objects.ts';

const cfg = pair();

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
  assert.deepEqual(slices.map((s) => s.addressType).sort(cmp), ['IPv4', 'IPv6']);
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
    slices.map((s) => [s.ports, s.endpoints!.map((e) => e.addresses[0])]).sort((x, y) => cmp(JSON.stringify(x), JSON.stringify(y))),
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
  assert.deepEqual(all, [...addrs].sort(cmp));
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
  assert.deepEqual(slices.map((s) => [s.metadata.labels![MCS_SOURCE_CLUSTER], s.endpoints!.length] as const).sort(([a], [b]) => cmp(a ?? '', b ?? '')), [['east', 1], ['north', 2]]);
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
