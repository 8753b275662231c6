import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, config } from '../../model/fixtures.test-util.ts';
import { fleetPlaces } from '../../model/locality/plan.ts';
import type { PlanReport } from '../plan.ts';
import { localityCheck } from './locality.ts';

const cfg = config([cluster('a'), cluster('b')], { mcs: true });
const report = (zones: Record<string, string[] | undefined>, locality: NonNullable<PlanReport['plan']['locality']> = []): PlanReport => ({
  plan: { actions: [], conflicts: [], locality }, exports: [], excluded: [], rejected: [], unguarded: [], sources: [], destinations: [],
  unavailable: new Set(), failures: [], places: fleetPlaces(() => cfg.clusters, (c) => zones[c]),
});

test('locality: zoned Nodes pass, Nodes without zones or unreadable warn that tiers are inactive, and what is inactive is named', () => {
  assert.equal(localityCheck(cfg, 'b', report({ b: ['z1', 'z2'] })).result, 'pass');
  const bare = localityCheck(cfg, 'b', report({ b: [] }));
  assert.deepEqual([bare.result, /label the Nodes with topology.kubernetes.io\/zone/.test(bare.message)], ['warn', true]);
  assert.equal(localityCheck(cfg, 'b', report({})).result, 'warn');
  const headless = localityCheck(cfg, 'b', report({ b: ['z1'] }, [{ cluster: 'b', namespace: 'shop', name: 'db', tier: 'all', clusters: ['a'], inactive: 'the Service is headless' }]));
  assert.equal(headless.result, 'info');
  assert.match(headless.message, /shop\/db: the Service is headless/);
});
