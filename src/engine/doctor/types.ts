// What doctor gathers from each cluster and what it reports: plain data, no I/O.
import type { Config } from '../../config/types.ts';
import type { AccessNeed, Mode } from '../requirements.ts';
import type { PlanReport } from '../plan.ts';
import type { InventoryView } from '../inventory.ts';

export type CheckResult = 'pass' | 'warn' | 'fail' | 'info';

export interface Check {
  name: string;
  /** A cluster name, or "fleet" for checks across clusters. */
  scope: string;
  result: CheckResult;
  /** One line: what was found, and when it is not a pass, what to do. */
  message: string;
  detail?: unknown;
}

export interface DoctorReport {
  checks: Check[];
  summary: Record<CheckResult, number>;
}

/** The scope of checks across clusters. */
export const FLEET = 'fleet';

export type Outcome<T> = { ok: true; value: T } | { ok: false; status?: number; error: string };

export type Reachability = { ok: true; version: string; server: string } | { ok: false; reason: string; message: string };

/** What was read from one cluster; fields beyond `reach` are absent when it could not be reached. */
export interface ClusterFacts {
  cluster: string;
  reach: Reachability;
  /** Resource names each group-version serves; status 404 means the group-version is absent. */
  /** mcs: multicluster.x-k8s.io/v1alpha1 (what CoreDNS reads); mcsBeta: v1beta1 (what mcsync writes). */
  discovery?: { endpointslices: Outcome<string[]>; leases: Outcome<string[]>; mcs: Outcome<string[]>; mcsBeta?: Outcome<string[]> };
  access?: { need: AccessNeed; allowed: Outcome<boolean> }[];
  nodeCidrs?: Outcome<{ node: string; cidr: string }[]>;
  kubernetesIp?: Outcome<string>;
  /** The About API's ClusterProperty cluster.clusterset.k8s.io: its value, or null when the cluster has none (or no such API). */
  clusterId?: Outcome<string | null>;
}

export interface DoctorInput {
  config: Config;
  /** In config order, one per cluster. */
  facts: ClusterFacts[];
  /** computePlan over the reachable clusters. */
  plan: PlanReport;
  /** Pull mode: the Lease cluster defaults to the local one, as in `run`. */
  mode?: Mode;
  /** What the config's inventory gave, when it has one. */
  inventory?: InventoryView;
}
