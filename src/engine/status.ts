// `status`: the plan over what can be read, turned into one row per exported Service (the pure
// verdicts are model/status.ts). Clusters that could not be connected are passed in as
// unavailable, so their replicas are reported as such instead of as drift.
import type { Config } from '../config/types.ts';
import { computeStatus, type StatusRow } from '../model/status.ts';
import type { Conflict } from '../model/conflicts.ts';
import type { SpannedPolicy } from '../model/policy/types.ts';
import type { McsServiceState } from '../model/mcs/fleet.ts';
import type { LocalityState } from '../model/locality/plan.ts';
import type { ConnectFailure, Connected } from './clusters.ts';
import type { Rejection } from '../model/endpoint-guard.ts';
import { computePlan, type ClusterFailure } from './plan.ts';

export interface StatusReport {
  services: StatusRow[];
  conflicts: Conflict[];
  failures: ClusterFailure[];
  /** Endpoints, ports and slices of exported Services the guard did not replicate. */
  rejected: Rejection[];
  /** Sources whose pod ranges are unknown: their addresses were replicated without a range check. */
  unguarded: { cluster: string; unchecked: number }[];
  /** Every spanned NetworkPolicy, with config.networkPolicies only. */
  policies?: SpannedPolicy[];
  /** Every multi-cluster service, with config.mcs only. */
  mcs?: McsServiceState[];
  /** The locality tier each importing cluster uses, per Service with tiers (replicas and imports). */
  locality: LocalityState[];
}

export async function status(config: Config, clusters: Map<string, Connected>, unreachable: readonly ConnectFailure[] = []): Promise<StatusReport> {
  const report = await computePlan(config, clusters, unreachable);
  const { exports, plan, destinations, unavailable } = report;
  const out: StatusReport = { services: computeStatus({ exports, plan, destinations, unavailable }), conflicts: plan.conflicts, failures: report.failures, rejected: report.rejected, unguarded: report.unguarded, locality: plan.locality ?? [] };
  if (report.policies) out.policies = report.policies.spanned;
  if (report.mcs) out.mcs = report.mcs;
  return out;
}
