import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, config } from '../../model/fixtures.test-util.ts';
import { clusterOrigins } from './origins.ts';

test('origins: a file cluster says file; an inventory cluster its profile, provider and health; connected from the fleet', () => {
  const east = { ...cluster('east'), origin: { kind: 'inventory' as const, namespace: 'fleet', profile: 'east', provider: 'secretreader', healthy: false, health: 'ControlPlaneHealthy=False (Unreachable)' } };
  assert.deepEqual(clusterOrigins(config([cluster('a'), east]), new Set(['a'])), [
    { cluster: 'a', origin: 'file', connected: true },
    { cluster: 'east', origin: 'inventory', profile: 'fleet/east', provider: 'secretreader', healthy: false, health: 'ControlPlaneHealthy=False (Unreachable)', connected: false },
  ]);
});
