// npm run chaos: every fault scenario on harness clusters, seeded; prints a table and JSON and
// writes bench/results/chaos.json. Sizes, durations and seeds come from the environment:
//   CHAOS_SERVICES (200), CHAOS_PODS (2), CHAOS_RUNS (5), CHAOS_KILL_RUNS (CHAOS_RUNS),
//   CHAOS_OUTAGE (60s), CHAOS_STALE_AFTER (30s), CHAOS_STALE_POLICY (keep), CHAOS_SEED (time-based;
//   printed), CHAOS_ONLY (scenarios, comma-separated), CHAOS_NAME (results file, default chaos).
// A 10-minute blackhole is CHAOS_ONLY=source-blackhole CHAOS_OUTAGE=600 CHAOS_STALE_AFTER=300,
// with CHAOS_STALE_POLICY=keep and =withdraw.
import { mkdirSync, writeFileSync } from 'node:fs';
import { runSuite, table, type ScenarioName } from '../test/support/chaos/suite.ts';

const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const base = num('CHAOS_SEED', Date.now() % 1_000_000);
const runs = num('CHAOS_RUNS', 5);
const names: ScenarioName[] = ['controller-kill', 'source-blackhole', 'destination-hang', 'storage-faults', 'leader-failover', 'credential-rotation'];
const only = process.env.CHAOS_ONLY?.split(',');
const chosen = names.filter((n) => !only || only.includes(n));
const seeds = Object.fromEntries(chosen.map((n, i) => [n, base + i])) as Record<ScenarioName, number>;
const runCounts = Object.fromEntries(chosen.map((n) => [n, n === 'controller-kill' ? num('CHAOS_KILL_RUNS', runs) : n === 'credential-rotation' ? Math.min(runs, 2) : runs]));
const opts = {
  world: { services: num('CHAOS_SERVICES', 200), podsPerService: num('CHAOS_PODS', 2), staleAfter: `${num('CHAOS_STALE_AFTER', 30)}s`, stalePolicy: (process.env.CHAOS_STALE_POLICY ?? 'keep') as 'keep' | 'withdraw', churnIntervalMs: num('CHAOS_CHURN_MS', 100), churnSeed: base, resyncSeconds: 20 },
  seeds, runs: runCounts,
  outageMs: num('CHAOS_OUTAGE', 60) * 1000,
  convergeDeadlineMs: 120_000,
  resyncMs: 20_000,
};
console.error(`chaos: base seed ${base} (CHAOS_SEED=${base} reproduces the fault schedule)`);
const t0 = Date.now();
const { outcomes, summary } = await runSuite({ ...opts, log: (l) => console.error(l) });
const result = { when: new Date().toISOString(), seconds: Math.round((Date.now() - t0) / 1000), options: opts, summary, outcomes };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/${process.env.CHAOS_NAME ?? 'chaos'}.json`, import.meta.url), JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
console.log(table(summary));
