// The address a loopback-only apiserver advertises: in a documentation block that no local
// interface is on, one per cluster index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loopbackAdvertiseAddress } from './cluster.ts';
import { clusterCidrs6 } from '../dataplane/ipv6.ts';

test('the first documentation block no local interface is on, numbered by cluster index', () => {
  assert.equal(loopbackAdvertiseAddress(0, ['127.0.0.1/8', '10.250.0.1/30']), '203.0.113.10');
  assert.equal(loopbackAdvertiseAddress(3, []), '203.0.113.13');
  assert.equal(loopbackAdvertiseAddress(0, ['203.0.113.7/30']), '198.51.100.10', 'a small subnet inside the block takes it');
  assert.equal(loopbackAdvertiseAddress(0, ['203.0.0.1/16', '198.51.100.2/24']), '192.0.2.10', 'so does a wider one around it');
  assert.equal(loopbackAdvertiseAddress(0, ['203.0.112.1/24', '198.51.101.1/24']), '203.0.113.10', 'neighbours do not');
  assert.throws(() => loopbackAdvertiseAddress(0, ['0.0.0.0/0']), /every documentation block/);
  assert.throws(() => loopbackAdvertiseAddress(50, []), /0\.\.49/);
});

test('a dual-stack cluster\'s IPv6 service CIDR: unique local, one per index, small enough for the apiserver', () => {
  assert.equal(clusterCidrs6(0).serviceCidr6, 'fd00:20:c8::/112');
  assert.equal(new Set(Array.from({ length: 50 }, (_, i) => clusterCidrs6(i).serviceCidr6)).size, 50);
  assert.throws(() => clusterCidrs6(50), /0\.\.49/);
});
