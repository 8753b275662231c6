// `mcsync doctor`: a checklist of everything mcsync needs from each cluster and from the fleet
// as a whole. Gathering (gather.ts) talks to the apiservers and never throws for one cluster's
// sake; evaluate (evaluate.ts) turns what was gathered into checks and is pure. Unlike sync, an
// unreachable cluster is a failed check, not an abort.
import type { Config } from '../../config/types.ts';
import type { ConnectFailure, Connected } from '../clusters.ts';
import { checkLocalCluster } from '../local-cluster.ts';
import type { Mode } from '../requirements.ts';
import type { InventoryView } from '../inventory.ts';
import { computePlan } from '../plan.ts';
import { evaluate } from './evaluate.ts';
import { gather } from './gather.ts';
import type { DoctorReport } from './types.ts';

export { evaluate, summarize } from './evaluate.ts';
export { describeFailure } from './failure.ts';
export { podAddresses } from './ranges.ts';
export { destinationClusters, leaseCluster, requiredAccess, type AccessNeed, type Mode } from '../requirements.ts';
export { FLEET, type Check, type CheckResult, type ClusterFacts, type DoctorInput, type DoctorReport, type Outcome, type Reachability } from './types.ts';

/** Throws ConfigError when `mode.localCluster` is not a cluster of the config. */
export async function doctor(config: Config, clusters: Map<string, Connected>, unavailable: readonly ConnectFailure[] = [], mode: Mode = {}, inventory?: InventoryView): Promise<DoctorReport> {
  checkLocalCluster(config, mode.localCluster);
  const [plan, facts] = await Promise.all([
    computePlan(config, clusters, unavailable, { localCluster: mode.localCluster }),
    Promise.all(config.clusters.map((c) => gather(config, c, clusters.get(c.name), mode))),
  ]);
  return evaluate({ config, facts, plan, mode, ...(inventory !== undefined ? { inventory } : {}) });
}
