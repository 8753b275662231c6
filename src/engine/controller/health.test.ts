// Cluster health as the fleet changes while running: a removed cluster kept (inventory.onRemove:
// keep) is stale for good, whatever its last watches said, so its stale policy applies; one not
// kept is forgotten; a cluster joining again is judged afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster } from '../../model/fixtures.test-util.ts';
import type { ReflectorStatus } from '../../kube/reflector.ts';
import { ClusterHealthTracker } from './health.ts';

const healthy: ReflectorStatus = { synced: true, connected: true, stats: { lists: 1, watches: 1, relistsGone: 0, errors: 0 } };

test('removed and kept: stale for good and gone from the health list; removed and not kept: forgotten; joining again: judged afresh', () => {
  const a = cluster('a');
  const c = cluster('c');
  const reflectors = new Map([['a', [healthy]], ['c', [healthy]]]);
  const t = new ClusterHealthTracker([a, c], [a, c], reflectors);
  assert.equal(t.isStale('c'), false);
  assert.deepEqual(t.refresh(), []);

  t.remove('c', true);
  assert.equal(t.isStale('c'), true, 'kept: its stale policy applies from now on');
  assert.deepEqual(t.health().map((h) => h.cluster), ['a']);
  assert.deepEqual(t.refresh(), [], 'no transition is reported for a removed cluster');

  t.update([a, c], [a, c]);
  assert.equal(t.isStale('c'), false, 'back in the fleet: judged by its watches again');

  t.remove('c', false);
  assert.equal(t.isStale('c'), false, 'not kept: nothing of it is judged');
  assert.deepEqual(t.health().map((h) => h.cluster), ['a']);
});
