import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, config } from '../../model/fixtures.test-util.ts';
import type { ClusterConfig, InventoryConfig } from '../../config/types.ts';
import type { InventoryView } from '../inventory.ts';
import { identityChecks, inventoryChecks } from './inventory.ts';
import type { ClusterFacts, Outcome } from './types.ts';

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const pos = { file: 'mcsync.yaml', line: 3, field: 'inventory' };
const inv = { namespace: 'fleet', pos } as unknown as InventoryConfig;

function fromInventory(name: string): ClusterConfig {
  return { ...cluster(name), origin: { kind: 'inventory', namespace: 'fleet', profile: name, provider: 'secretreader', health: '' } };
}

const facts = (name: string, clusterId?: Outcome<string | null>): ClusterFacts => ({ cluster: name, reach: { ok: true, version: 'v1.36.3', server: `https://${name}` }, ...(clusterId ? { clusterId } : {}) });
const brief = (cs: { name: string; scope: string; result: string; message: string }[]) => cs.map((c) => `${c.name}@${c.scope} ${c.result}: ${c.message}`);

test('inventory: every profile joined is a pass for the fleet; each cluster\'s profile health as the cluster manager reports it', () => {
  const cfg = { ...config([cluster('a'), fromInventory('east'), fromInventory('west'), fromInventory('north')]), inventory: inv };
  const view: InventoryView = {
    hub: 'https://hub:6443', namespace: 'fleet', problems: [],
    profiles: [
      { namespace: 'fleet', name: 'east', cluster: fromInventory('east'), healthy: true, health: 'ControlPlaneHealthy=True (Healthy)', provider: 'secretreader' },
      { namespace: 'fleet', name: 'west', cluster: fromInventory('west'), healthy: false, health: 'ControlPlaneHealthy=False (Unreachable)', provider: 'secretreader' },
      { namespace: 'fleet', name: 'north', cluster: fromInventory('north'), health: 'no ControlPlaneHealthy condition', provider: 'secretreader' },
    ],
  };
  assert.deepEqual(brief(inventoryChecks(cfg, view)), [
    'inventory@fleet pass: 3 cluster(s) from ClusterProfiles in namespace fleet of the hub https://hub:6443: east, west, north',
    'profile-health@east pass: ClusterProfile fleet/east (provider "secretreader"): ControlPlaneHealthy=True (Healthy)',
    'profile-health@west warn: ClusterProfile fleet/west (provider "secretreader"): the cluster manager reports ControlPlaneHealthy=False (Unreachable); mcsync still tries the cluster, see reachable',
    'profile-health@north info: ClusterProfile fleet/north (provider "secretreader"): no ControlPlaneHealthy condition',
  ]);
});

test('inventory: problems (a missing CRD, a profile no provider serves) fail the fleet check; no inventory, no checks', () => {
  const cfg = { ...config([cluster('a')]), inventory: inv };
  const view: InventoryView = { hub: 'https://hub:6443', namespace: 'fleet', profiles: [], problems: [{ ...pos, message: 'inventory: the inventory hub (https://hub:6443) does not serve ClusterProfiles' }] };
  const [c] = inventoryChecks(cfg, view);
  assert.equal(c!.result, 'fail');
  assert.match(c!.message, /^1 problem\(s\) with the inventory in namespace fleet of the hub https:\/\/hub:6443: inventory: the inventory hub .* does not serve ClusterProfiles$/);
  assert.deepEqual(inventoryChecks(config([cluster('a')]), undefined), []);
});

test('cluster ids: the configured name passes, an id of its own passes and is said to be used, one id claimed twice warns on each and fails the fleet; none, no checks', () => {
  assert.deepEqual(brief(identityChecks([facts('a', ok('a')), facts('b', ok('east')), facts('c', ok('east')), facts('d', ok(null)), facts('e'), facts('f', ok('west'))])), [
    'cluster-id@a pass: ClusterProperty cluster.clusterset.k8s.io is "a", the configured name',
    'cluster-id@b warn: ClusterProperty cluster.clusterset.k8s.io is "east", which another cluster is (or is named): not used, replicas and imports name this cluster "b"',
    'cluster-id@c warn: ClusterProperty cluster.clusterset.k8s.io is "east", which another cluster is (or is named): not used, replicas and imports name this cluster "c"',
    'cluster-id@f pass: ClusterProperty cluster.clusterset.k8s.io is "west": replicas and imports name this cluster "west" (the source-cluster label, clusterset DNS, ServiceImport status); config and status keep calling it "f"',
    'cluster-ids@fleet fail: clusters claim the same id (cluster.clusterset.k8s.io): "east" by b, c: each cluster of a clusterset needs its own id',
  ]);
  assert.deepEqual(brief(identityChecks([facts('a', ok('a')), facts('b', ok('b'))])).at(-1), 'cluster-ids@fleet pass: 2 cluster id(s), all different');
  assert.deepEqual(identityChecks([facts('a', ok(null)), facts('b')]), []);
  assert.equal(identityChecks([facts('a', { ok: false, status: 403, error: 'forbidden' })])[0]!.result, 'warn');
});
