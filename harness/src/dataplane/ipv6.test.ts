import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { canonical6, clusterCidrs6, linkAddresses6, nthAddress6 } from './ipv6.ts';

test('each cluster has IPv6 pod and service ranges of its own, beside its IPv4 ones', () => {
  assert.deepEqual(clusterCidrs6(0), { podCidr6: 'fd00:10:64::/64', serviceCidr6: 'fd00:20:c8::/112' });
  assert.deepEqual(clusterCidrs6(1), { podCidr6: 'fd00:10:65::/64', serviceCidr6: 'fd00:20:c9::/112' });
  assert.deepEqual(linkAddresses6(0), { router: 'fd00:250:1::1', node: 'fd00:250:1::2' });
  assert.throws(() => clusterCidrs6(50), /0\.\.49/);
});

test('pod addresses count up from the start of the range, in canonical text', () => {
  assert.equal(nthAddress6('fd00:10:64::/64', 10), 'fd00:10:64::a');
  assert.equal(nthAddress6('fd00:10:64::/64', 65536), 'fd00:10:64::1:0');
  assert.equal(nthAddress6('fd00:20:c8::/112', 0), 'fd00:20:c8::');
  assert.throws(() => nthAddress6('10.0.0.0/8', 1), /IPv6/);
  assert.throws(() => nthAddress6('fd00::/112', 65536), /no address/);
});

test('compressed addresses are valid IPv6 and distinct for distinct numbers', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (a, b) => {
    const x = nthAddress6('fd00:10:64::/64', a), y = nthAddress6('fd00:10:64::/64', b);
    return isIPv6(x) && isIPv6(y) && (a === b) === (x === y);
  }));
  assert.equal(canonical6('0000:0000:0000:0000:0000:0000:0000:0001'), '::1');
  assert.equal(canonical6('fd00:0000:0001:0000:0000:0000:0000:0000'), 'fd00:0:1::');
  assert.equal(canonical6('1:0:2:3:4:5:6:7'), '1:0:2:3:4:5:6:7');
});
