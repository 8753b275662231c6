import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeLabels, topologyByCluster, REGION_LABEL, ZONE_LABEL } from './node-topology.ts';

test('a Node with no topology asked keeps the default zone of its cluster and has no region', () => {
  assert.deepEqual(nodeLabels('a', 'a-node-0'), { 'kubernetes.io/hostname': 'a-node-0', [ZONE_LABEL]: 'a-zone-a' });
});

test('a zone and a region asked for a Node are its labels', () => {
  assert.deepEqual(nodeLabels('a', 'a-node-0', { zone: 'z1', region: 'r1' }), { 'kubernetes.io/hostname': 'a-node-0', [ZONE_LABEL]: 'z1', [REGION_LABEL]: 'r1' });
});

test('zones and regions are taken per cluster; a cluster not named keeps the default', () => {
  const t = topologyByCluster(['a', 'b', 'c'], { a: 'z1', b: 'z1' }, { a: 'eu' });
  assert.deepEqual([...t], [['a', { zone: 'z1', region: 'eu' }], ['b', { zone: 'z1' }], ['c', {}]]);
  assert.equal(nodeLabels('c', 'c-node-0', t.get('c'))[ZONE_LABEL], 'c-zone-a');
});

test('a zone for a cluster that is not there, or an invalid label value, fails naming it', () => {
  assert.throws(() => topologyByCluster(['a', 'b'], { d: 'z1' }), /zones\.d: no cluster named d \(clusters: a, b\)/);
  assert.throws(() => topologyByCluster(['a'], {}, { a: '' }), /regions\.a: "" is not a valid label value/);
  assert.throws(() => topologyByCluster(['a'], { a: 'z 1' }), /zones\.a: "z 1" is not a valid label value/);
});
