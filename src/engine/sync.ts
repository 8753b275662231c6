// One-shot replication: read every cluster, compute the plan with the pure core, apply it to
// each destination in parallel. A cluster that cannot be read is reported and treated as
// unavailable: its replicas elsewhere are kept, not collected.
import type { Config } from '../config/types.ts';
import { planAll } from '../model/plan.ts';
import { selectExports } from '../model/select.ts';
import type { Action, DestinationSnapshot, Export, Plan, SourceSnapshot } from '../model/types.ts';
import { readDestination, readSource } from '../kube/read.ts';
import { applyActions, type WriteResult } from '../kube/write.ts';
import type { ConnectFailure, Connected } from './clusters.ts';

export interface ClusterFailure {
  cluster: string;
  /** connect: not reachable when the command started; read: reachable, but a list failed. */
  stage: 'connect' | 'read' | 'write';
  error: string;
}

export interface PlanReport {
  plan: Plan;
  exports: Export[];
  excluded: { cluster: string; namespace: string; name: string; reason: string }[];
  sources: SourceSnapshot[];
  destinations: DestinationSnapshot[];
  /**
   * Configured clusters the planner was told are unavailable: not connected, or connected but
   * not readable. Their replicas elsewhere are kept as they are, never collected.
   */
  unavailable: Set<string>;
  failures: ClusterFailure[];
}

export interface SyncReport extends PlanReport {
  results: WriteResult[];
}

/**
 * Reads every connected cluster and plans. This is where availability is decided, for every
 * command: a configured cluster that is not in `clusters` (it could not be connected), or whose
 * read failed, is unavailable to the planner. `unreachable` says why the missing ones are.
 */
export async function computePlan(config: Config, clusters: Map<string, Connected>, unreachable: readonly ConnectFailure[] = []): Promise<PlanReport> {
  const failures: ClusterFailure[] = [];
  const sources: SourceSnapshot[] = [];
  const destinations: DestinationSnapshot[] = [];
  await Promise.all(config.clusters.map(async (c) => {
    const conn = clusters.get(c.name);
    if (!conn) {
      const why = unreachable.find((u) => u.cluster === c.name);
      failures.push({ cluster: c.name, stage: 'connect', error: why?.issue.message ?? `cluster ${c.name} is not connected` });
      return;
    }
    try {
      const [src, dst] = await Promise.all([
        c.exports.length > 0 ? readSource(conn.client, c) : Promise.resolve(undefined),
        readDestination(conn.client, c.name, config.instance),
      ]);
      if (src) sources.push(src);
      destinations.push(dst);
    } catch (err) {
      failures.push({ cluster: c.name, stage: 'read', error: (err as Error).message });
    }
  }));
  const order = (name: string) => config.clusters.findIndex((c) => c.name === name);
  sources.sort((a, b) => order(a.cluster) - order(b.cluster));
  destinations.sort((a, b) => order(a.cluster) - order(b.cluster));
  failures.sort((a, b) => order(a.cluster) - order(b.cluster));
  const unavailable = new Set(failures.map((f) => f.cluster));
  const { exports, excluded } = selectExports(config, sources);
  const plan = planAll(config, exports, destinations, { unavailableSources: unavailable });
  return { plan, exports, excluded, sources, destinations, unavailable, failures };
}

export function actionsByCluster(actions: Action[]): Map<string, Action[]> {
  return Map.groupBy(actions, (a) => a.cluster);
}

export async function sync(
  config: Config,
  clusters: Map<string, Connected>,
  opts: { onResult?: (r: WriteResult) => void; onPlan?: (p: PlanReport) => void } = {},
): Promise<SyncReport> {
  const report = await computePlan(config, clusters);
  opts.onPlan?.(report);
  const results: WriteResult[] = [];
  await Promise.all([...actionsByCluster(report.plan.actions)].map(async ([cluster, actions]) => {
    const conn = clusters.get(cluster);
    if (!conn) return;
    const r = await applyActions(conn.client, actions, { instance: config.instance, concurrency: config.concurrency, onResult: opts.onResult });
    results.push(...r);
    const failed = r.filter((x) => x.outcome === 'failed');
    if (failed.length > 0) report.failures.push({ cluster, stage: 'write', error: `${failed.length} of ${r.length} writes failed; first: ${failed[0]!.detail}` });
  }));
  return { ...report, results };
}
