// What the endpoint guard refused, as the one-shot commands (sync, plan, status) show it: a line
// per source Service, then each refused address with its reason, so an operator sees exactly
// which addresses a hostile or broken source tried to send where, not only a total.
import type { Rejection } from '../../model/endpoint-guard.ts';
import { describeRejections } from '../../engine/rejection-events.ts';
import { yellow } from '../output.ts';

/** Addresses listed one per line for each Service; beyond that `-o json` has them all. */
export const LISTED_PER_SERVICE = 20;

export interface GuardReport {
  rejected: readonly Rejection[];
  unguarded: readonly { cluster: string; unchecked: number }[];
}

/** How many endpoints (or ports) the guard refused: an oversized slice counts as all it held. */
export function refusedCount(rejected: readonly Rejection[]): number {
  return rejected.reduce((sum, r) => sum + r.count, 0);
}

/**
 * A line per source Service with refused endpoints, each refused address indented under it, and
 * a line per source whose guard is off. `cluster`: only what concerns this cluster (as a source).
 */
export function guardLines(report: GuardReport, cluster?: string): string[] {
  const out: string[] = [];
  const rejected = report.rejected.filter((r) => !cluster || r.cluster === cluster);
  for (const list of Map.groupBy(rejected, (r) => `${r.cluster}|${r.namespace}/${r.name}`).values()) {
    const r = list[0]!;
    out.push(yellow(`rejected: ${r.cluster} ${r.namespace}/${r.name}: ${describeRejections(list)} (not replicated)`));
    const width = Math.max(...list.slice(0, LISTED_PER_SERVICE).map((x) => (x.what || '""').length));
    for (const x of list.slice(0, LISTED_PER_SERVICE)) {
      out.push(`  ${(x.what || '""').padEnd(width)}  ${x.reason}${x.count > 1 ? ` (${x.count} endpoints)` : ''}`);
    }
    if (list.length > LISTED_PER_SERVICE) out.push(`  … ${list.length - LISTED_PER_SERVICE} more (-o json lists every one)`);
  }
  for (const u of report.unguarded.filter((x) => !cluster || x.cluster === cluster)) {
    out.push(yellow(`guard off: ${u.cluster}: no pod CIDRs known, ${u.unchecked} address(es) replicated without a range check (set podCIDRs for it)`));
  }
  return out;
}

/** The summary's words for them: "" when nothing was refused. */
export function refusedSummary(rejected: readonly Rejection[]): string {
  const n = refusedCount(rejected);
  return n === 0 ? '' : `${n} endpoint(s) refused by the guard`;
}
