// The read-and-plan half of every command: read each connected cluster, decide which clusters
// are unavailable, select exports and plan, changing nothing. sync applies what this returns;
// plan, status and doctor only show it.
import type { Config } from '../config/types.ts';
import { planAll } from '../model/plan.ts';
import { selectExports } from '../model/select.ts';
import type { DestinationSnapshot, Export, Plan, SourceSnapshot } from '../model/types.ts';
import { planPolicies } from '../model/policy/plan.ts';
import type { PolicyProblem, RemotePods, SpannedPolicy } from '../model/policy/types.ts';
import type { NetworkPolicy } from '../vocab/objects.ts';
import type { Rejection } from '../model/endpoint-guard.ts';
import { nodeCidrsOnce, readClusterProperties, readDestination, readMcs, readPolicies, readRemotePods, readSource } from '../kube/read.ts';
import { conditionTime } from '../model/mcs/conditions.ts';
import { fleetPlaces, localityWanted, type LocalityView } from '../model/locality/plan.ts';
import { planMcsFleet, type McsFleetPlan, type McsRead, type McsServiceState } from '../model/mcs/fleet.ts';
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
  /** What the endpoint guard dropped from exported Services (never replicated). */
  rejected: Rejection[];
  /** Sources whose pod ranges are unknown: their addresses were not range-checked. */
  unguarded: { cluster: string; unchecked: number }[];
  /**
   * Configured clusters the planner was told are unavailable: not connected, or connected but
   * not readable. Their replicas elsewhere are kept as they are, never collected.
   */
  unavailable: Set<string>;
  failures: ClusterFailure[];
  /** Companion NetworkPolicies, with config.networkPolicies only: their actions are in plan.actions, after the Services'. */
  policies?: PolicyReport;
  /** Multi-cluster services, with config.mcs only: their actions are in plan.actions, after the rest. */
  mcs?: McsServiceState[];
  /** Where the clusters are (properties, and the zones of the ones written to), as locality tiers read them. */
  places?: LocalityView;
}

export interface PolicyReport {
  problems: PolicyProblem[];
  spanned: SpannedPolicy[];
  /** The user policies of each cluster policies are planned in, for Events on the ones with problems. */
  read: Map<string, NetworkPolicy[]>;
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
  const policyReads = new Map<string, { policies: NetworkPolicy[]; companions: NetworkPolicy[] }>();
  const remotes = new Map<string, RemotePods>();
  const mcsReads: McsRead[] = [];
  // The zones of each cluster written to, for Services with locality tiers.
  const zones = new Map<string, string[] | undefined>();
  const properties = new Map<string, Record<string, string> | undefined>();
  const zoned = localityWanted(config);
  await Promise.all(config.clusters.map(async (c) => {
    const conn = clusters.get(c.name);
    if (!conn) {
      const why = unreachable.find((u) => u.cluster === c.name);
      failures.push({ cluster: c.name, stage: 'connect', error: why?.issue.message ?? `cluster ${c.name} is not connected` });
      return;
    }
    const written = scope.localCluster === undefined || scope.localCluster === c.name;
    // One Nodes list serves the replica and the MCS reads of this cluster.
    const nodes = nodeCidrsOnce(conn.client);
    try {
      const [src, dst, pol, pods, mcs] = await Promise.all([
        c.exports.length > 0 ? readSource(conn.client, c, nodes) : Promise.resolve(undefined),
        written ? readDestination(conn.client, c.name, config.instance) : Promise.resolve(undefined),
        // Only with the switch on: without it not one request more than replicas need.
        config.networkPolicies && written ? readPolicies(conn.client, config.instance) : Promise.resolve(undefined),
        config.networkPolicies ? readRemotePods(conn.client, c.name) : Promise.resolve(undefined),
        config.mcs ? readMcs(conn.client, c, config.instance, written, nodes) : Promise.resolve(undefined),
      ]);
      if (mcs) mcsReads.push(mcs);
      if (zoned && written) {
        zones.set(c.name, await nodes.zones());
        properties.set(c.name, await readClusterProperties(conn.client));
      }
      if (src) sources.push(src);
      if (dst) destinations.push(dst);
      if (pol) policyReads.set(c.name, pol);
      if (pods) remotes.set(c.name, pods);
    } catch (err) {
      failures.push({ cluster: c.name, stage: 'read', error: (err as Error).message });
    }
  }));
  const order = (name: string) => config.clusters.findIndex((c) => c.name === name);
  sources.sort((a, b) => order(a.cluster) - order(b.cluster));
  destinations.sort((a, b) => order(a.cluster) - order(b.cluster));
  failures.sort((a, b) => order(a.cluster) - order(b.cluster));
  const unavailable = new Set(failures.map((f) => f.cluster));
  const { exports, excluded, rejected, unguarded } = selectExports(config, sources);
  const locality = fleetPlaces(() => config.clusters, (c) => zones.get(c), (c) => properties.get(c));
  const plan = planAll(config, exports, destinations, { unavailableSources: unavailable, locality });
  const report: PlanReport = { plan, exports, excluded, rejected, unguarded, sources, destinations, unavailable, failures, places: locality };
  if (config.networkPolicies) {
    const { actions, ...policies } = planAllPolicies(config, policyReads, remotes, unavailable);
    plan.actions.push(...actions);
    report.policies = policies;
  }
  if (config.mcs) {
    const mcs = planMcsFleet(config, mcsReads.filter((r) => !unavailable.has(r.cluster)), unavailable, nowSeconds(), locality);
    plan.actions.push(...mcs.actions);
    report.mcs = mcs.services;
    if (mcs.locality.length > 0) (plan.locality ??= []).push(...mcs.locality);
  }
  return report;
}

const nowSeconds = () => conditionTime(new Date());

/**
 * The multi-cluster services planned again from a fresh read: what `sync` applies after its
 * first pass, since a ServiceImport shows its derived Service's IP, and takes its status, only
 * once both exist. A cluster that cannot be read now fails the round.
 */
export async function computeMcsPlan(config: Config, clusters: Map<string, Connected>, unavailable: ReadonlySet<string>, scope: PlanScope = {}, places?: LocalityView): Promise<McsFleetPlan> {
  const reads = await Promise.all(config.clusters
    .filter((c) => clusters.has(c.name) && !unavailable.has(c.name))
    .map((c) => readMcs(clusters.get(c.name)!.client, c, config.instance, scope.localCluster === undefined || scope.localCluster === c.name)));
  return planMcsFleet(config, reads, unavailable, nowSeconds(), places);
}

/**
 * The companion plan of every cluster policies were read in, in config order. A cluster that
 * could not be read is unavailable as a remote too: its companions stay as last written.
 * (sync never applies stalePolicy, so nothing is withdrawn here; the controller does that.)
 */
function planAllPolicies(
  config: Config,
  reads: ReadonlyMap<string, { policies: NetworkPolicy[]; companions: NetworkPolicy[] }>,
  remotes: ReadonlyMap<string, RemotePods>,
  unavailable: ReadonlySet<string>,
): { actions: Plan['actions'] } & PolicyReport {
  const out: { actions: Plan['actions'] } & PolicyReport = { actions: [], problems: [], spanned: [], read: new Map() };
  for (const c of config.clusters) {
    const r = reads.get(c.name);
    if (!r || unavailable.has(c.name)) continue;
    const p = planPolicies(config, c.name, r.policies, r.companions, remotes, { unavailable });
    out.actions.push(...p.actions);
    out.problems.push(...p.problems);
    out.spanned.push(...p.spanned);
    out.read.set(c.name, r.policies);
  }
  return out;
}
