// Plain data of the NetworkPolicy companion planner: what a remote cluster holds, what went
// wrong with a user's policy, and what the plan says about each spanned policy.
import type { Namespace, Pod } from '../../vocab/objects.ts';
import type { Action } from '../types.ts';

/** What one remote cluster holds that a policy's peers can match. */
export interface RemotePods {
  cluster: string;
  pods: Pod[];
  namespaces: Namespace[];
}

/** Why nothing is written for a user's policy (an unknown cluster, a selector that does not parse). */
export interface PolicyProblem {
  /** The cluster of the user's policy. */
  cluster: string;
  namespace: string;
  name: string;
  message: string;
}

/** One user policy that names remote clusters, and what its companions hold. */
export interface SpannedPolicy {
  cluster: string;
  namespace: string;
  name: string;
  /** The remote clusters its annotation names (`*` resolved), sorted. */
  remotes: string[];
  /** Remote pods its peers match, over the remotes that could be read. */
  peers: number;
  /** Companion names wanted (or kept as they are, for remotes that could not be read), sorted. */
  companions: string[];
  /** Remotes that could not be read now: their companions are kept as last written (or withdrawn). */
  unavailable?: string[];
  /** Set when the policy is bad input: nothing is written for it. */
  problem?: string;
}

export interface PolicyPlan {
  actions: Action[];
  problems: PolicyProblem[];
  spanned: SpannedPolicy[];
}
