// The short chaos run: controller SIGKILLs, a source apiserver blackholed and a destination
// apiserver hung, on fixed seeds, under churn. Every run must end converged (a fresh plan wants
// nothing) with no endpoint lost and no orphan or duplicate replica, counted from the apiservers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSuite } from '../support/chaos/suite.ts';

test('under kills, a source blackhole and a destination hang, replicas converge with nothing lost, orphaned or duplicated', async () => {
  const { outcomes } = await runSuite({
    world: { services: 30, podsPerService: 1, staleAfter: '6s', churnIntervalMs: 150, churnSeed: 16, resyncSeconds: 10 },
    seeds: { 'controller-kill': 1601, 'source-blackhole': 1602, 'destination-hang': 1603 },
    runs: { 'controller-kill': 2, 'source-blackhole': 1, 'destination-hang': 1 },
    outageMs: 10_000,
    convergeDeadlineMs: 30_000,
    resyncMs: 10_000,
    log: (l) => process.env.CHAOS_VERBOSE && console.error(l),
  });
  assert.equal(outcomes.length, 4, `every run recorded: ${JSON.stringify(outcomes)}`);
  const bad = outcomes.filter((o) => !o.converged || o.lost !== 0 || o.orphans !== 0 || o.duplicates !== 0);
  assert.deepEqual(bad, [], 'runs that broke an invariant (with their seeds)');
});
