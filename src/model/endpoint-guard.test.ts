import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressVerdict, guardSlices, MAX_SLICE_ENDPOINTS, podRanges } from './endpoint-guard.ts';
import { selectExports } from './select.ts';
import { planAll } from './plan.ts';
import { contains, formatIp, parseCidr, parseIp } from './cidr.ts';
import { cluster, config, destination, ep, rule, slice, source, svc } from './fixtures.test-util.ts';
import type { EndpointSlice } from '../vocab/objects.ts';

const EAST = podRanges(['10.100.0.0/16', 'fd00:10:100::/56'])!;

test('addresses: inside the pod ranges pass; another range, the metadata service, loopback and friends do not', () => {
  const verdicts = Object.fromEntries(['10.100.3.4', '10.101.0.5', '10.0.0.1', '169.254.169.254', '127.0.0.1', '0.0.0.0', '224.0.0.1', '10.100.1', ' 10.100.0.9']
    .map((a) => [a, addressVerdict(a, 4, EAST) ?? 'kept']));
  assert.deepEqual(verdicts, {
    '10.100.3.4': 'kept', '10.101.0.5': 'outside-pod-cidrs', '10.0.0.1': 'outside-pod-cidrs', '169.254.169.254': 'link-local',
    '127.0.0.1': 'loopback', '0.0.0.0': 'unspecified', '224.0.0.1': 'multicast', '10.100.1': 'invalid-address', ' 10.100.0.9': 'invalid-address',
  });
  assert.deepEqual(['fd00:10:100::7', 'fd00:10:200::7', '::1', 'fe80::1', '::ffff:10.100.0.1'].map((a) => addressVerdict(a, 6, EAST) ?? 'kept'),
    ['kept', 'outside-pod-cidrs', 'loopback', 'link-local', 'invalid-address']);
});

test('a range that covers loopback or link-local does not make them replicable', () => {
  const wide = podRanges(['127.0.0.0/8', '169.254.0.0/16'])!;
  assert.deepEqual(['127.0.0.1', '169.254.169.254'].map((a) => addressVerdict(a, 4, wide)), ['loopback', 'link-local']);
});

test('unknown ranges: the range check is off (per family), the always-dropped addresses still go', () => {
  assert.equal(addressVerdict('10.250.0.1', 4, undefined), undefined);
  assert.equal(addressVerdict('169.254.169.254', 4, undefined), 'link-local');
  const v4only = podRanges(['10.100.0.0/16'])!;
  assert.equal(addressVerdict('fd00:99::1', 6, v4only), undefined);
  const out = guardSlices([slice('shop', 'web', 'web-1', [ep('10.250.0.1')])], undefined);
  assert.equal(out.unchecked, 1);
});

test('slices: bad addresses, invalid hostnames and ports are dropped with a reason; an oversized slice goes whole', () => {
  const big = slice('shop', 'web', 'web-big', Array.from({ length: MAX_SLICE_ENDPOINTS + 1 }, (_, i) => ep(`10.100.${i >> 8}.${i & 255}`)));
  const s = slice('shop', 'web', 'web-1', [
    ep('10.100.0.5', { hostname: 'web-0' }),
    ep('10.100.0.6', { hostname: 'Not_A.Label' }),
    ep('10.200.0.1'),
  ], { ports: [{ name: 'http', port: 8080 }, { name: 'bad', port: 70000 }, { name: 'zero', port: 0 }] });
  const out = guardSlices([s, big], EAST);
  assert.deepEqual(out.slices.map((x) => ({ name: x.metadata.name, endpoints: x.endpoints!.map((e) => [e.addresses[0], e.hostname]), ports: x.ports!.map((p) => p.name) })), [
    { name: 'web-1', endpoints: [['10.100.0.5', 'web-0'], ['10.100.0.6', undefined]], ports: ['http'] },
  ]);
  assert.deepEqual(out.rejected.map((r) => `${r.reason} ${r.what} ${r.count}`), [
    'invalid-hostname Not_A.Label 1', 'outside-pod-cidrs 10.200.0.1 1', 'invalid-port bad:70000 1', 'invalid-port zero:0 1', `oversized-slice web-big ${MAX_SLICE_ENDPOINTS + 1}`,
  ]);
});

test('selection: the config\'s podCIDRs win over the Nodes\', a Service with absurdly many ports is excluded, and every rejection is named', () => {
  const cfg = config([cluster('east', [rule({ exportTo: ['west'] })], { podCIDRs: ['10.100.0.0/16'] }), cluster('west')]);
  const many = svc('shop', 'many', { ports: Array.from({ length: 101 }, (_, i) => ({ name: `p${i}`, port: 1000 + i })) });
  const snap = { ...source('east', [svc('shop', 'web'), many], [slice('shop', 'web', 'web-1', [ep('10.100.0.5'), ep('10.9.0.1')])]), podCidrs: ['10.9.0.0/16'] };
  const sel = selectExports(cfg, [snap]);
  assert.deepEqual(sel.exports.map((e) => [e.service.metadata.name, e.slices.flatMap((s) => s.endpoints!.flatMap((x) => x.addresses))]), [['web', ['10.100.0.5']]]);
  assert.deepEqual(sel.rejected.map((r) => `${r.cluster} ${r.namespace}/${r.name} ${r.reason} ${r.what}`), ['east shop/many too-many-ports 101 ports', 'east shop/web outside-pod-cidrs 10.9.0.1']);
  assert.match(sel.excluded[0]!.reason, /101 ports/);
  assert.deepEqual(sel.unguarded, []);
});

test('selection: a source without known ranges is named as unguarded', () => {
  const cfg = config([cluster('east', [rule({ exportTo: ['west'] })]), cluster('west')]);
  const sel = selectExports(cfg, [source('east', [svc('shop', 'web')], [slice('shop', 'web', 'web-1', [ep('10.100.0.5'), ep('10.9.0.1')])])]);
  assert.deepEqual(sel.unguarded, [{ cluster: 'east', unchecked: 2 }]);
});

// Addresses from everywhere that matters: inside the range, next to it, other clusters' ranges,
// the special blocks, any IPv4 at all, and text that is not an address.
const octet = fc.integer({ min: 0, max: 255 });
const address = fc.oneof(
  fc.tuple(octet, octet).map(([a, b]) => `10.100.${a}.${b}`),
  fc.tuple(fc.integer({ min: 98, max: 102 }), octet, octet).map(([n, a, b]) => `10.${n}.${a}.${b}`),
  fc.constantFrom('169.254.169.254', '127.0.0.1', '0.0.0.0', '224.0.0.251', '255.255.255.255', '10.100.0', '', 'localhost'),
  fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
);
const sliceArb = fc.tuple(fc.nat({ max: 9 }), fc.array(fc.tuple(address, fc.option(fc.constantFrom('web-0', 'Bad_Name', ''), { nil: undefined })), { maxLength: 8 }))
  .map(([n, eps]): EndpointSlice => slice('shop', 'web', `web-${n}`, eps.map(([a, h]) => ep(a, h === undefined ? {} : { hostname: h }))));

test('property: nothing outside the source\'s pod ranges, nor any always-dropped address, reaches a rendered replica slice', () => {
  const range = parseCidr('10.100.0.0/16')!;
  fc.assert(fc.property(fc.uniqueArray(sliceArb, { selector: (s) => s.metadata.name, maxLength: 4 }), (slices) => {
    const cfg = config([cluster('east', [rule({ exportTo: ['west'] })], { podCIDRs: ['10.100.0.0/16'] }), cluster('west')]);
    const sel = selectExports(cfg, [source('east', [svc('shop', 'web')], slices)]);
    const plan = planAll(cfg, sel.exports, [destination('west', ['shop'])]);
    const written = plan.actions.flatMap((a) => (a.verb !== 'delete' && (a.object as EndpointSlice).addressType ? (a.object as EndpointSlice).endpoints ?? [] : []));
    for (const e of written) {
      for (const a of e.addresses) {
        const ip = parseIp(a);
        assert.ok(ip && contains(range, ip) && formatIp(ip) === a, `${a} reached a replica`);
      }
      if (e.hostname !== undefined) assert.match(e.hostname, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    // A dropped endpoint is never also written (replicas may merge duplicate addresses, so not an equality).
    const total = slices.reduce((n, s) => n + s.endpoints!.length, 0);
    const dropped = sel.rejected.filter((r) => r.reason !== 'invalid-hostname').length;
    assert.ok(written.length + dropped <= total, "a dropped endpoint was also written");
  }), { numRuns: 300 });
});
