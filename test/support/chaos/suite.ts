// Runs a chosen set of scenarios against one world and summarises them per scenario.
import type { Outcome } from './outcome.ts';
import { controllerKill, credentialRotation, destinationHang, leaderFailover, sourceBlackhole, storageFaults, type ScenarioParams } from './scenarios.ts';
import { World, type WorldOptions } from './world.ts';

export type ScenarioName = 'controller-kill' | 'source-blackhole' | 'destination-hang' | 'storage-faults' | 'leader-failover' | 'credential-rotation';

export interface SuiteOptions {
  world: WorldOptions;
  /** Seed of each scenario's fault schedule; printed so a run can be reproduced. */
  seeds: Partial<Record<ScenarioName, number>>;
  runs: Partial<Record<ScenarioName, number>>;
  outageMs: number;
  convergeDeadlineMs: number;
  resyncMs: number;
  log?: (line: string) => void;
}

export interface Summary {
  scenario: string;
  seed: number;
  runs: number;
  converged: number;
  lost: number;
  orphans: number;
  duplicates: number;
  convergeMsMax: number | null;
  convergeMsP50: number | null;
  writesMax: number;
}

export async function runSuite(o: SuiteOptions): Promise<{ outcomes: Outcome[]; summary: Summary[] }> {
  const log = o.log ?? (() => {});
  const w = await World.start(o.world);
  const outcomes: Outcome[] = [];
  try {
    w.churn.start();
    await w.churn.pause();
    const staleAfterMs = Number(o.world.staleAfter.replace(/s$/, '')) * 1000;
    const table: [ScenarioName, (seed: number, p: ScenarioParams) => Promise<Outcome[]>][] = [
      ['controller-kill', (s, p) => controllerKill(w, s, p, o.resyncMs)],
      ['source-blackhole', (s, p) => sourceBlackhole(w, s, p, staleAfterMs)],
      ['destination-hang', (s, p) => destinationHang(w, s, p)],
      ['storage-faults', (s, p) => storageFaults(w, s, p)],
      ['leader-failover', (s, p) => leaderFailover(w, s, p)],
      ['credential-rotation', (s, p) => credentialRotation(w, s, p)],
    ];
    for (const [name, fn] of table) {
      const seed = o.seeds[name];
      const runs = o.runs[name] ?? 0;
      if (seed === undefined || runs === 0) continue;
      log(`${name}: seed ${seed}, ${runs} runs`);
      const t = Date.now();
      try {
        const got = await fn(seed, { runs, outageMs: o.outageMs, convergeDeadlineMs: o.convergeDeadlineMs });
        for (const g of got) log(`  ${JSON.stringify(g)}`);
        outcomes.push(...got);
      } catch (err) {
        // A scenario that breaks is a result too: recorded, and the others still run.
        log(`  ${name} failed: ${(err as Error).stack ?? String(err)}`);
        outcomes.push({ scenario: name, run: -1, seed, variant: 'error', converged: false, lost: 0, orphans: 0, duplicates: 0, convergeMs: null, writes: 0, extra: { error: String(err) } });
      }
      log(`  ${name}: ${Math.round((Date.now() - t) / 1000)} s`);
      await w.churn.pause();
    }
  } finally {
    await w.down();
  }
  return { outcomes, summary: summarise(outcomes) };
}

export function summarise(outcomes: Outcome[]): Summary[] {
  const names = [...new Set(outcomes.map((o) => o.scenario))];
  return names.map((scenario) => {
    const xs = outcomes.filter((o) => o.scenario === scenario);
    const ms = xs.map((o) => o.convergeMs).filter((m): m is number => m !== null).sort((a, b) => a - b);
    return {
      scenario, seed: xs[0]!.seed, runs: xs.length,
      converged: xs.filter((o) => o.converged).length,
      lost: xs.reduce((s, o) => s + o.lost, 0),
      orphans: xs.reduce((s, o) => s + o.orphans, 0),
      duplicates: xs.reduce((s, o) => s + o.duplicates, 0),
      convergeMsMax: ms.length ? ms[ms.length - 1]! : null,
      convergeMsP50: ms.length ? ms[Math.floor((ms.length - 1) / 2)]! : null,
      writesMax: Math.max(0, ...xs.map((o) => o.writes)),
    };
  });
}

export function table(summary: Summary[]): string {
  const head = ['scenario', 'seed', 'runs', 'converged', 'lost', 'orphans', 'dups', 'conv p50 ms', 'conv max ms', 'writes max'];
  const rows = summary.map((s) => [s.scenario, String(s.seed), String(s.runs), `${s.converged}/${s.runs}`, String(s.lost), String(s.orphans), String(s.duplicates), String(s.convergeMsP50 ?? '-'), String(s.convergeMsMax ?? '-'), String(s.writesMax)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
