import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/load.ts';
import { cmp } from '../model/canonical.ts';
import { cluster, config, rule } from '../model/fixtures.test-util.ts';
import { checkLocalCluster } from './local-cluster.ts';
import { leaseCluster, requiredAccess, writtenClusters, type Mode } from './requirements.ts';

// a exports shop to b and c; b exports tools (cluster-wide rule) to a; c exports nothing.
const fleet = config([
  cluster('a', [rule({ namespace: 'shop', exportTo: ['b', 'c'] }), rule({ namespace: 'cart', exportTo: ['b'] })]),
  cluster('b', [rule({ exportTo: ['a'] })]),
  cluster('c'),
]);

const fmt = (cluster: string, mode: Mode, cfg = fleet) =>
  requiredAccess(cfg, cluster, mode).map((n) => `${n.verb} ${n.resource}${n.namespace ? ` in ${n.namespace}` : ''} (${n.purpose})`);

const clusterWideReads = ['get services (sync)', 'list services (sync)', 'watch services (sync)', 'get endpointslices (sync)', 'list endpointslices (sync)', 'watch endpointslices (sync)', 'list namespaces (sync)', 'watch namespaces (sync)'];
const writes = ['create services (sync)', 'update services (sync)', 'delete services (sync)', 'create endpointslices (sync)', 'update endpointslices (sync)', 'delete endpointslices (sync)', 'create namespaces (sync)'];
const lease = ['get leases in kube-system (lease)', 'create leases in kube-system (lease)', 'update leases in kube-system (lease)'];

test('pull mode: only the local cluster is written to, and it holds the Lease when leaderElection.cluster is unset', () => {
  const pull = { localCluster: 'c' };
  assert.deepEqual([...writtenClusters(fleet, pull)], ['c']);
  assert.equal(leaseCluster(fleet, pull), 'c');
  assert.deepEqual(fmt('c', pull), [...clusterWideReads, ...writes, ...lease], 'the local cluster is read cluster-wide as a destination, written and holds the Lease');
  const readsIn = (ns: string) => clusterWideReads.slice(0, 6).map((n) => n.replace(' (sync)', ` in ${ns} (sync)`));
  assert.deepEqual(fmt('a', pull), [...readsIn('cart'), ...readsIn('shop')], 'another source is read only in the namespaces its rules name, never written');
  assert.deepEqual(fmt('b', pull), clusterWideReads.slice(0, 6), 'a rule without a namespace reads that source cluster-wide; no namespaces, no writes');
});

test('pull mode: a cluster that exports nothing and is not local needs nothing; a local cluster that is no destination only reads', () => {
  assert.deepEqual(fmt('c', { localCluster: 'a' }), []);
  const lonely = config([cluster('a', [rule({ namespace: 'shop', exportTo: ['b'] })]), cluster('b')]);
  assert.deepEqual(fmt('a', { localCluster: 'a' }, lonely), [...clusterWideReads, 'list nodes (sync)', 'watch nodes (sync)', 'create events (sync)', ...lease]);
  assert.deepEqual(fmt('b', { localCluster: 'a' }, lonely), []);
});

test('pull mode: leaderElection.cluster, when set, still decides where the Lease is', () => {
  const pinned = { ...fleet, leaderElection: { ...fleet.leaderElection, cluster: 'a' } };
  assert.equal(leaseCluster(pinned, { localCluster: 'c' }), 'a');
  assert.ok(fmt('a', { localCluster: 'c' }, pinned).includes('create leases in kube-system (lease)'));
  assert.ok(!fmt('c', { localCluster: 'c' }, pinned).some((n) => n.includes('leases')));
});

test('push mode is what it was: every destination written, the Lease on the first cluster', () => {
  assert.deepEqual([...writtenClusters(fleet)].sort(cmp), ['a', 'b', 'c']);
  assert.equal(leaseCluster(fleet), 'a');
  assert.deepEqual(fmt('c', {}), [...clusterWideReads, ...writes]);
});

test('an unknown --local-cluster is a config error naming the clusters', () => {
  assert.doesNotThrow(() => checkLocalCluster(fleet, undefined));
  assert.doesNotThrow(() => checkLocalCluster(fleet, 'b'));
  assert.throws(() => checkLocalCluster(fleet, 'd'), (err: unknown) => err instanceof ConfigError && /--local-cluster d is not one of the clusters \(a, b, c\)/.test(err.message));
});

test('networkPolicies: every cluster\'s pods and namespaces are read; NetworkPolicies and Events are written where companions are rendered', () => {
  const on = { ...fleet, networkPolicies: true };
  const pull = { localCluster: 'c' };
  const companions = ['get networkpolicies (sync)', 'list networkpolicies (sync)', 'watch networkpolicies (sync)', 'create networkpolicies (sync)', 'update networkpolicies (sync)', 'delete networkpolicies (sync)', 'create events (sync)'];
  const pods = ['list pods (sync)', 'watch pods (sync)'];
  assert.deepEqual(fmt('c', pull, on), [...clusterWideReads, ...writes, ...pods, ...companions, ...lease], 'the local cluster renders companions');
  assert.deepEqual(fmt('b', pull, on), [...clusterWideReads.slice(0, 6), ...pods, 'list namespaces (sync)', 'watch namespaces (sync)'], 'another cluster is only a remote: its pods and namespaces');
  assert.deepEqual(fmt('c', {}, on).filter((n) => !fmt('c', {}).includes(n)), [...pods, ...companions], 'push mode: every cluster renders companions');
  assert.ok(!fmt('b', pull).some((n) => n.includes('pods')), 'without the switch no Pod is read');
});
