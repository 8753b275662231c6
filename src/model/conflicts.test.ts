import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareConflicts, exportConflicts, missingNamespaceConflict, notOwnedConflict } from './conflicts.ts';
import { svc } from './fixtures.test-util.ts';

test('exports that disagree with the oldest: kind before ports, per younger export in order', () => {
  const oldest = { sourceCluster: 'north', service: svc('shop', 'web') };
  const headless = { sourceCluster: 'south', service: svc('shop', 'web', { clusterIP: 'None', ports: [{ port: 81 }] }) };
  const same = { sourceCluster: 'east', service: svc('shop', 'web') };
  const conflicts = exportConflicts('west', [oldest, headless, same]);
  assert.deepEqual(conflicts.map((c) => [c.kind, c.cluster, c.namespace, c.name]), [
    ['type-mismatch', 'west', 'shop', 'web'],
    ['port-mismatch', 'west', 'shop', 'web'],
  ]);
  assert.equal(conflicts[0]!.message, 'south exports a headless Service, north a ClusterIP Service; north has the oldest export and wins');
  assert.equal(conflicts[1]!.message, 'south exports 81/TCP, north 80/TCP (http); north has the oldest export and wins');
  assert.deepEqual(exportConflicts('west', [oldest]), []);
  assert.deepEqual(exportConflicts('west', []), []);
});

test('not-owned and missing-namespace say what blocks the replica and why', () => {
  assert.deepEqual(notOwnedConflict('west', 'shop', 'web', ['east', 'north']), {
    kind: 'not-owned',
    cluster: 'west',
    namespace: 'shop',
    name: 'web',
    message: 'west already has Service shop/web, not created by mcsync; not replicating it from east, north (conflictPolicy skip)',
  });
  assert.deepEqual(missingNamespaceConflict('west', 'shop', 'web'), {
    kind: 'missing-namespace',
    cluster: 'west',
    namespace: 'shop',
    name: 'web',
    message: 'namespace shop does not exist in west and createNamespaces is off',
  });
});

test('conflicts are ordered by Service, then kind, then message', () => {
  const a = missingNamespaceConflict('west', 'b', 'x');
  const b = notOwnedConflict('west', 'a', 'y', ['east']);
  const c = missingNamespaceConflict('west', 'a', 'y');
  assert.deepEqual([a, b, c].sort(compareConflicts), [c, b, a]);
});
