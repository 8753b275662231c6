// Removing mcsync's replicas: each target cluster is read, the pure core lists what this
// instance owns there (model/prune.ts) and it is deleted. One cluster's failure does not stop
// the others; it is reported with the cluster's name.
import type { Config } from '../config/types.ts';
import { readDestination } from '../kube/read.ts';
import { applyActions, type WriteResult } from '../kube/write.ts';
import { planPrune } from '../model/prune.ts';
import type { Connected } from './clusters.ts';

export interface PruneReport {
  /** The clusters pruned, in config order. */
  clusters: string[];
  /** Every delete attempted, grouped by cluster in the order of `clusters`. */
  results: WriteResult[];
  /** Clusters that could not be read or written at all. */
  failures: { cluster: string; error: string }[];
}

/** Prunes `only`, or every configured cluster when it is undefined. */
export async function prune(config: Config, clusters: Map<string, Connected>, only?: string): Promise<PruneReport> {
  const targets = config.clusters.filter((c) => only === undefined || c.name === only);
  const outcomes = await Promise.all(targets.map(async (c): Promise<{ results: WriteResult[]; error?: string }> => {
    const conn = clusters.get(c.name);
    if (!conn) return { results: [], error: `cluster ${c.name} is not connected` };
    try {
      const snapshot = await readDestination(conn.client, c.name, config.instance);
      return { results: await applyActions(conn.client, planPrune(snapshot, config.instance), { instance: config.instance, concurrency: config.concurrency }) };
    } catch (err) {
      return { results: [], error: (err as Error).message };
    }
  }));
  return {
    clusters: targets.map((c) => c.name),
    results: outcomes.flatMap((o) => o.results),
    failures: outcomes.flatMap((o, i) => (o.error === undefined ? [] : [{ cluster: targets[i]!.name, error: o.error }])),
  };
}

/** Whether the report says anything went wrong: a cluster failed, or one delete did. */
export function pruneFailed(report: PruneReport): boolean {
  return report.failures.length > 0 || report.results.some((r) => r.outcome === 'failed');
}
