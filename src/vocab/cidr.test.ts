import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cmp } from '../model/canonical.ts';
import { CidrIndex, contains, formatCidr, formatIp, ipKey, overlaps, parseCidr, parseIp, type Cidr, type Ip } from './cidr.ts';

const ip = (s: string): Ip => {
  const v = parseIp(s);
  assert.ok(v, `${s} parses`);
  return v;
};
const cidr = (s: string): Cidr => {
  const v = parseCidr(s);
  assert.ok(v, `${s} parses`);
  return v;
};

test('IPv4 addresses parse to their 32-bit value; malformed ones are refused', () => {
  assert.deepEqual(parseIp('10.100.0.200'), { family: 4, value: 0x0a6400c8n });
  assert.deepEqual(parseIp('0.0.0.0'), { family: 4, value: 0n });
  assert.deepEqual(parseIp('255.255.255.255'), { family: 4, value: 0xffffffffn });
  for (const bad of ['10.0.0', '10.0.0.0.0', '256.0.0.1', '10.0.0.-1', '010.0.0.1', '10..0.1', 'a.b.c.d', '', '10.0.0.1/8', ' ']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('IPv6 addresses parse with :: compression and an embedded IPv4 tail', () => {
  assert.deepEqual(parseIp('::'), { family: 6, value: 0n });
  assert.deepEqual(parseIp('::1'), { family: 6, value: 1n });
  assert.deepEqual(parseIp('fd00:10:100::5'), { family: 6, value: (0xfd00n << 112n) | (0x10n << 96n) | (0x100n << 80n) | 5n });
  assert.deepEqual(parseIp('1:2:3:4:5:6:7:8'), { family: 6, value: 0x00010002000300040005000600070008n });
  assert.deepEqual(parseIp('::ffff:10.1.2.3'), { family: 6, value: (0xffffn << 32n) | 0x0a010203n });
  assert.equal(ipKey(ip('fd00::1')), ipKey(ip('FD00:0:0::0001')), 'one address, however written');
  for (const bad of [':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', 'fe80::1%eth0', '1:2:3:4:5:6:7::8', '::10.0.0.256', ':1:2:3:4:5:6:7']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('formatIp writes the canonical form (RFC 5952 for IPv6)', () => {
  for (const [input, want] of [
    ['10.100.0.200', '10.100.0.200'],
    ['FD00:0010:0100:0000:0000:0000:0000:0005', 'fd00:10:100::5'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['1:0:0:2:3:0:0:4', '1::2:3:0:0:4'],
  ] as const) assert.equal(formatIp(ip(input)), want, input);
});

test('CIDRs parse to a network address and prefix length; host bits are cleared', () => {
  assert.deepEqual(cidr('10.100.0.0/16'), { family: 4, base: 0x0a640000n, bits: 16 });
  assert.equal(formatCidr(cidr('10.100.7.9/16')), '10.100.0.0/16');
  assert.equal(formatCidr(cidr('fd00:10:100::/48')), 'fd00:10:100::/48');
  assert.equal(formatCidr(cidr('0.0.0.0/0')), '0.0.0.0/0');
  assert.equal(formatCidr(cidr('10.0.0.1/32')), '10.0.0.1/32');
  assert.equal(formatCidr(cidr('::1/128')), '::1/128');
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '::/129', 'x/8', '10.0.0.0/8/8', '10.0.0.0/1e1']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});

test('contains: the address lies in the block, and only within its own family', () => {
  const a = cidr('10.100.0.0/16');
  assert.ok(contains(a, ip('10.100.0.0')));
  assert.ok(contains(a, ip('10.100.255.255')));
  assert.ok(!contains(a, ip('10.101.0.0')));
  assert.ok(!contains(a, ip('10.99.255.255')));
  assert.ok(!contains(a, ip('::a64:0')), 'an IPv6 address with the same bits is not in an IPv4 block');
  assert.ok(contains(cidr('0.0.0.0/0'), ip('203.0.113.7')));
  assert.ok(contains(cidr('fd00:10:100::/48'), ip('fd00:10:100:ffff::1')));
  assert.ok(!contains(cidr('fd00:10:100::/48'), ip('fd00:10:101::1')));
});

test('overlaps: nested, equal and disjoint blocks, both families', () => {
  assert.ok(overlaps(cidr('10.100.0.0/16'), cidr('10.100.0.0/24')));
  assert.ok(overlaps(cidr('10.100.3.0/24'), cidr('10.100.0.0/16')), 'symmetric');
  assert.ok(overlaps(cidr('10.100.0.0/16'), cidr('10.100.0.0/16')));
  assert.ok(!overlaps(cidr('10.100.0.0/16'), cidr('10.101.0.0/16')));
  assert.ok(!overlaps(cidr('10.100.0.0/24'), cidr('10.100.1.0/24')), 'adjacent is not overlapping');
  assert.ok(overlaps(cidr('10.0.0.0/8'), cidr('10.255.255.255/32')));
  assert.ok(overlaps(cidr('fd00::/8'), cidr('fd00:10:100::/48')));
  assert.ok(!overlaps(cidr('fd00:10:100::/48'), cidr('fd00:10:101::/48')));
  assert.ok(!overlaps(cidr('0.0.0.0/0'), cidr('::/0')), 'families never overlap');
});

test('CidrIndex answers containment and overlap like a scan does', () => {
  const blocks = ['10.100.0.0/24', '10.100.1.0/24', '10.100.0.0/16', '10.0.0.0/8', '192.168.0.0/16', 'fd00:10:100::/64', 'fd00::/8'].map(cidr);
  const index = new CidrIndex(blocks.map((c) => ({ cidr: c, tag: formatCidr(c) })));
  const tags = (xs: { tag: string }[]) => xs.map((x) => x.tag).sort(cmp);
  const scanContains = (i: Ip) => blocks.filter((c) => contains(c, i)).map(formatCidr).sort(cmp);
  const scanOverlaps = (c: Cidr) => blocks.filter((b) => overlaps(b, c)).map(formatCidr).sort(cmp);
  for (const a of ['10.100.0.200', '10.100.1.1', '10.100.2.1', '10.5.0.1', '11.0.0.1', '192.168.3.4', 'fd00:10:100::1', 'fd00:10:101::1', 'fe80::1']) {
    assert.deepEqual(tags(index.containing(ip(a))), scanContains(ip(a)), a);
  }
  for (const c of ['10.100.0.0/16', '10.100.0.128/25', '10.0.0.0/7', '10.101.0.0/16', '172.16.0.0/12', '0.0.0.0/0', 'fd00:10::/32', '::/0', '192.168.255.0/24']) {
    assert.deepEqual(tags(index.overlapping(cidr(c))), scanOverlaps(cidr(c)), c);
  }
});

test('CidrIndex agrees with a scan on random blocks', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const randomCidr = (): Cidr => cidr(`10.${rand(4)}.${rand(4)}.${rand(256)}/${8 + rand(25)}`);
  const blocks = Array.from({ length: 200 }, randomCidr);
  const index = new CidrIndex(blocks.map((c, i) => ({ cidr: c, tag: i })));
  for (let k = 0; k < 300; k++) {
    const probe = randomCidr();
    const want = blocks.flatMap((b, i) => (overlaps(b, probe) ? [i] : [])).sort((x, y) => x - y);
    assert.deepEqual(index.overlapping(probe).map((e) => e.tag).sort((x, y) => x - y), want, formatCidr(probe));
    const addr: Ip = { family: 4, value: probe.base | BigInt(rand(256)) };
    const wantIn = blocks.flatMap((b, i) => (contains(b, addr) ? [i] : [])).sort((x, y) => x - y);
    assert.deepEqual(index.containing(addr).map((e) => e.tag).sort((x, y) => x - y), wantIn, formatIp(addr));
  }
});
