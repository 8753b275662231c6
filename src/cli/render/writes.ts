// What a batch of writes did, per cluster: counted from the typed results, turned into strings
// only by the table renderer.
import type { WriteResult } from '../../kube/write.ts';
import { table } from '../output.ts';

export interface WriteCounts {
  cluster: string;
  created: number;
  updated: number;
  deleted: number;
  skipped: number;
  failed: number;
}

export type WriteColumn = Exclude<keyof WriteCounts, 'cluster'>;

/** One row per cluster, in the order given, zero rows included. */
export function countWrites(results: readonly WriteResult[], clusters: readonly string[]): WriteCounts[] {
  const rows = new Map(clusters.map((cluster) => [cluster, { cluster, created: 0, updated: 0, deleted: 0, skipped: 0, failed: 0 }]));
  for (const r of results) {
    const row = rows.get(r.action.cluster);
    if (!row) continue;
    if (r.outcome === 'skipped') row.skipped++;
    else if (r.outcome === 'failed') row.failed++;
    else if (r.action.verb === 'create') row.created++;
    else if (r.action.verb === 'update') row.updated++;
    else row.deleted++;
  }
  return [...rows.values()];
}

/** The counts with the given columns only, in that order (for JSON). */
export function pickColumns(rows: readonly WriteCounts[], columns: readonly WriteColumn[]): Record<string, string | number>[] {
  return rows.map((r) => Object.fromEntries([['cluster', r.cluster], ...columns.map((c) => [c, r[c]])]));
}

export function writesTable(rows: readonly WriteCounts[], columns: readonly WriteColumn[]): string {
  return table(['CLUSTER', ...columns.map((c) => c.toUpperCase())], rows.map((r) => [r.cluster, ...columns.map((c) => String(r[c]))]));
}
