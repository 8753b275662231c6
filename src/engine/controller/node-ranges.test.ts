import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, config, rule } from '../../model/fixtures.test-util.ts';
import { KubeApiError } from '../../kube/client.ts';
import type { ReflectorStatus } from '../../kube/reflector.ts';
import { remove, upsert } from '../../kube/store.ts';
import type { Node } from '../../vocab/objects.ts';
import { isRefusal, NodeRanges, nodeWatchedClusters } from './node-ranges.ts';

const node = (name: string, rv: string, ...cidrs: string[]): Node => ({ metadata: { name, resourceVersion: rv }, spec: { podCIDRs: cidrs }, status: { images: [] } } as Node);

/** What the reflector does: the store first, then the event. */
function put(n: NodeRanges, obj: Node): boolean {
  const e = upsert(n.store, obj);
  return e ? n.apply(e) : false;
}
function drop(n: NodeRanges, name: string): boolean {
  const e = remove(n.store, name);
  return e ? n.apply(e) : false;
}

test('Nodes are watched for the clusters that can be a source and name no podCIDRs in the config, and for every written cluster where locality tiers may apply', () => {
  const cfg = config([
    cluster('a', [rule({ exportTo: ['b'] })]),
    cluster('b'),
    cluster('c', [rule({ exportTo: ['b'] })], { podCIDRs: ['10.3.0.0/16'] }),
  ]);
  assert.deepEqual(nodeWatchedClusters(cfg).map((c) => c.name), ['a']);
  assert.deepEqual(nodeWatchedClusters({ ...cfg, mcs: true }).map((c) => c.name), ['a', 'b', 'c'], 'with mcs every cluster may export, and import with tiers (its zones)');
  const tiered = config([cluster('a', [rule({ exportTo: ['b'], clusterSelectors: [{ propertySelector: { matchProperties: { region: 'eu' } } }] })]), cluster('b', [], { podCIDRs: ['10.2.0.0/16'] })]);
  assert.deepEqual(nodeWatchedClusters(tiered).map((c) => c.name), ['a', 'b'], 'a rule with tiers: the zones of every written cluster');
  assert.deepEqual(nodeWatchedClusters({ ...cfg, mcs: true }, 'b').map((c) => c.name), ['b'], 'pull mode: only the local cluster is read with a credential that grants Nodes');
});

test('the zones follow the Nodes\' zone labels, and a change is reported only when the set of zones changed', () => {
  const n = new NodeRanges('a');
  const zoned = (name: string, rv: string, zone?: string): Node => ({ metadata: { name, resourceVersion: rv, ...(zone ? { labels: { 'topology.kubernetes.io/zone': zone } } : {}) }, spec: {} });
  const at = (node: Node) => {
    const e = upsert(n.store, node);
    return e ? n.applyZone(e) : false;
  };
  assert.equal(at(zoned('n1', '1', 'z2')), true);
  assert.equal(at(zoned('n2', '2', 'z1')), true);
  assert.deepEqual(n.zones, ['z1', 'z2']);
  assert.equal(at(zoned('n3', '3', 'z1')), false, 'a zone already known');
  assert.equal(at(zoned('n1', '4')), true, 'n1 lost its label: z2 is gone');
  assert.deepEqual(n.zones, ['z1']);
});

test('the CIDR set follows the Nodes, and a change is reported only when the set itself changed', () => {
  const n = new NodeRanges('a');
  assert.equal(n.cidrs, undefined);
  assert.equal(put(n, node('n1', '1', '10.1.1.0/24')), true);
  assert.deepEqual(n.cidrs, ['10.1.1.0/24']);
  assert.equal(put(n, node('n2', '2', '10.1.0.0/24')), true);
  assert.deepEqual(n.cidrs, ['10.1.0.0/24', '10.1.1.0/24'], 'sorted');
  assert.equal(put(n, node('n3', '3', '10.1.0.0/24')), false, 'a second Node with a range already known changes nothing');
  assert.equal(put(n, node('n2', '4', '10.1.0.0/24')), false, 'a Node modified without a range change (status churn) changes nothing');
  assert.equal(drop(n, 'n2'), false, 'n3 still declares it');
  assert.equal(drop(n, 'n3'), true);
  assert.deepEqual(n.cidrs, ['10.1.1.0/24']);
  assert.equal(drop(n, 'n1'), true);
  assert.equal(n.cidrs, undefined, 'no Node left: unknown again');
});

test('the store keeps only what the ranges need of a Node', () => {
  const n = new NodeRanges('a');
  put(n, node('n1', '1', '10.1.1.0/24'));
  assert.deepEqual(n.store.get('n1'), { metadata: { name: 'n1', resourceVersion: '1' }, spec: { podCIDRs: ['10.1.1.0/24'] } });
});

test('listed or refused, the ranges are settled; a refusal is reported once in a row and an answer ends it', async () => {
  const n = new NodeRanges('a');
  assert.equal(n.settled, false);
  const settled = n.whenSettled();
  assert.equal(n.refuse(), true);
  assert.equal(n.refuse(), false, 'the retries of the same refusal are not new');
  await settled;
  assert.equal(n.settled, true);
  assert.equal(n.answered(), true, 'granted after all');
  assert.equal(n.refused, false);
  assert.equal(n.answered(), false);
  assert.ok(isRefusal(new KubeApiError(403, 'Forbidden', 'nodes is forbidden')));
  assert.ok(!isRefusal(new KubeApiError(500, 'InternalError', 'etcd')) && !isRefusal(new Error('ECONNREFUSED')));
});

test('a refused Nodes watch does not make its cluster unhealthy; any other failure does', () => {
  const n = new NodeRanges('a');
  const failing: ReflectorStatus = { synced: false, connected: false, unhealthySince: 1000, lastSeen: 500, stats: { lists: 0, watches: 0, relistsGone: 0, errors: 3, lastError: 'nodes is forbidden', lastErrorAt: 1200 } };
  const seen = n.healthOf(failing);
  n.refuse();
  assert.deepEqual([seen.synced, seen.connected, seen.unhealthySince, seen.stats.lastError], [true, true, undefined, undefined]);
  assert.equal(n.absentOn(new Error('ECONNREFUSED'), { warn: () => {} }), false, 'an outage is not an absence');
  assert.deepEqual([seen.synced, seen.connected, seen.unhealthySince, seen.stats.lastError], [false, false, 1000, 'nodes is forbidden']);
});
