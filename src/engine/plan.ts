// The read-and-plan half of every command: read each connected cluster, decide which clusters
// are unavailable, select exports and plan, changing nothing. sync applies what this returns;
// plan, status and doctor only show it.
import type { Config } from '../config/types.ts';
import { planAll } from '../model/plan.ts';
import { selectExports } from '../model/select.ts';
import type { DestinationSnapshot, Export, Plan, SourceSnapshot } from '../model/types.ts';
import { readDestination, readSource } from '../kube/read.ts';
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


/**
 * Reads every connected cluster and plans. This is where availability is decided, for every
 * command: a configured cluster that is not in `clusters` (it could not be connected), or whose
 * read failed, is unavailable to the planner. `unreachable` says why the missing ones are.
 */
export interface PlanScope {
  /** Pull mode: only this cluster is written to, so only it is read and planned as a destination. */
  localCluster?: string;
}

export async function computePlan(config: Config, clusters: Map<string, Connected>, unreachable: readonly ConnectFailure[] = [], scope: PlanScope = {}): Promise<PlanReport> {
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
        scope.localCluster === undefined || scope.localCluster === c.name ? readDestination(conn.client, c.name, config.instance) : Promise.resolve(undefined),
      ]);
      if (src) sources.push(src);
      if (dst) destinations.push(dst);
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
