import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../vocab/objects.ts';
import { nodePodCidrs } from './node-cidrs.ts';
import { nodeForCache } from './cache-projections.ts';

const node = (name: string, spec: Node['spec']): Node => ({ metadata: { name }, ...(spec ? { spec } : {}) });

test('the CIDR set of a cluster\'s Nodes: podCIDRs and the older podCIDR, de-duplicated and sorted by code unit', () => {
  assert.deepEqual(nodePodCidrs([
    node('n2', { podCIDR: '10.100.1.0/24', podCIDRs: ['10.100.1.0/24', 'fd00:1::/64'] }),
    node('n1', { podCIDR: '10.100.0.0/24' }),
    node('n3', { podCIDRs: ['10.100.0.0/24'] }),
  ]), ['10.100.0.0/24', '10.100.1.0/24', 'fd00:1::/64']);
});

test('no Node declaring a range is an unknown set (the range check is off), not an empty one', () => {
  assert.equal(nodePodCidrs([]), undefined);
  assert.equal(nodePodCidrs([node('n1', undefined), node('n2', { podCIDRs: [] })]), undefined);
});

test('a Node is stored as its name, resourceVersion and pod ranges: nothing of its status, labels or other spec', () => {
  const whole = {
    metadata: { name: 'n1', resourceVersion: '42', uid: 'u', labels: { zone: 'a' }, annotations: { big: 'x'.repeat(1000) } },
    spec: { podCIDR: '10.1.0.0/24', podCIDRs: ['10.1.0.0/24'], providerID: 'cloud://n1', taints: [] },
    status: { images: [{ names: ['img'], sizeBytes: 1 }], addresses: [{ type: 'InternalIP', address: '192.168.0.1' }] },
  } as unknown as Node;
  assert.deepEqual(nodeForCache(whole), { metadata: { name: 'n1', resourceVersion: '42' }, spec: { podCIDR: '10.1.0.0/24', podCIDRs: ['10.1.0.0/24'] } });
  assert.deepEqual(nodeForCache(node('bare', undefined)), { metadata: { name: 'bare' }, spec: {} });
});
