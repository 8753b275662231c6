// Reconciles one policy key: the companions of one user NetworkPolicy in its own cluster, made to
// match the current pods and namespaces of the remotes it names, level-based like the Service
// reconciler. It plans with the same pure planPolicies `sync` uses, restricted to that policy
// and its companions, and writes through the cluster's write budget and leader guard. A failure
// throws, and the queue retries the key with backoff.
import type { Config } from '../../config/types.ts';
import { planPolicies, spannedRemotes } from '../../model/policy/plan.ts';
import type { PolicyProblem, RemotePods, SpannedPolicy } from '../../model/policy/types.ts';
import { isOwned } from '../../vocab/labels.ts';
import { storeKey } from '../../vocab/keys.ts';
import type { NetworkPolicy } from '../../vocab/objects.ts';
import type { ApiClient } from '../../kube/client.ts';
import { postProblemEvents, type EventResult } from '../events.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { splitPolicyKey, type PolicyKey } from './policy-keys.ts';
import { userPolicy, type PolicyCaches, type RemoteCaches } from './policy-topology.ts';
import { ProblemLog } from './problem-log.ts';
import { PendingPropagations } from './propagation.ts';
import type { ReconcileLog } from './reconciler.ts';
import { staleEffect } from '../../model/stale.ts';
import type { ClusterWriter } from './writer.ts';

/** Posts Kubernetes Events about problems on the user's policy; never throws. */
export type ProblemReporter = (client: ApiClient, problems: readonly PolicyProblem[], policy: NetworkPolicy | undefined) => Promise<EventResult[]>;

/** Events through engine/events.ts, the same ones `mcsync sync` posts (a repeat is a 409, skipped). */
export const postEvents: ProblemReporter = (client, problems, policy) => {
  const cluster = problems[0]?.cluster ?? '';
  return postProblemEvents(new Map([[cluster, client]]), problems, new Map([[cluster, policy ? [policy] : []]]));
};

export interface PolicyReconcilerOptions {
  config: Config;
  clusters: ReadonlyMap<string, PolicyCaches>;
  /** One per rendering cluster, shared with the other capabilities. */
  writers: ReadonlyMap<string, ClusterWriter>;
  remotes: ReadonlyMap<string, RemoteCaches>;
  log: ReconcileLog;
  /** Whether a remote's cached pods are too old to trust; its stalePolicy then applies. Default never. */
  isStale?: (cluster: string) => boolean;
  isLeader?: () => boolean;
  metrics?: Pick<ControllerMetricsSink, 'policyPropagation'>;
  /** Remote pod and namespace changes observed per policy key, for the propagation histogram. */
  propagation?: PendingPropagations;
  problems?: ProblemLog<PolicyKey>;
  /** Posts an Event on the user's policy for a new problem; default postEvents. */
  reportProblem?: ProblemReporter;
}

export class PolicyReconciler {
  readonly #o: PolicyReconcilerOptions;
  readonly #propagation: PendingPropagations;
  /** A standing problem is logged (and posted) once. */
  readonly #reported: ProblemLog<PolicyKey>;
  readonly #problems = new Map<PolicyKey, PolicyProblem[]>();
  readonly #spanned = new Map<PolicyKey, SpannedPolicy>();

  constructor(opts: PolicyReconcilerOptions) {
    this.#o = opts;
    this.#propagation = opts.propagation ?? new PendingPropagations();
    this.#reported = opts.problems ?? new ProblemLog({ isLeader: () => this.#isLeader });
  }

  /** The fleet changed while running: plan with it from now on. */
  configure(config: Config): void {
    this.#o.config = config;
  }

  /** The problems the last reconcile of each policy found. */
  problems(): PolicyProblem[] {
    return [...this.#problems.values()].flat();
  }

  /** Each spanned policy as its last reconcile left it: remotes, peers, companions. */
  spanned(): SpannedPolicy[] {
    return [...this.#spanned.values()];
  }

  get #isLeader(): boolean {
    return this.#o.isLeader?.() ?? true;
  }

  async reconcile(key: PolicyKey): Promise<void> {
    if (!this.#isLeader) return;
    const { config, log } = this.#o;
    const { cluster, namespace, name } = splitPolicyKey(key);
    const c = this.#o.clusters.get(cluster);
    const writer = this.#o.writers.get(cluster);
    if (!c || !writer) return; // not rendered here (pull mode: another cluster's instance does it)
    const pending = this.#propagation.take(key);
    const policy = userPolicy(c, config.instance, namespace, name);
    const companions = c.policies.indexed(`${namespace}/${name}`);
    const { remotes, unavailable, withdrawn } = this.#remoteView(cluster, policy);
    const plan = planPolicies(config, cluster, policy ? [policy] : [], companions, remotes, { unavailable, withdrawn });
    await this.#report(key, c, writer.client, plan.problems, policy);
    const spanned = plan.spanned.find((s) => s.namespace === namespace && s.name === name);
    if (spanned) this.#spanned.set(key, spanned);
    else this.#spanned.delete(key);
    if (plan.actions.length === 0) return;
    const results = await writer.apply('policies', key, plan.actions, (kind) => (kind === 'NetworkPolicy' ? c.policies : undefined), 'companion changed');
    const failed = results.find((r) => r.outcome === 'failed');
    if (failed) {
      if (pending) this.#propagation.restore(key, pending);
      throw new Error(`reconcile ${key}: ${failed.detail}`);
    }
    if (pending) this.#o.metrics?.policyPropagation.observe({ source: pending.source, destination: cluster }, this.#propagation.secondsSince(pending));
  }

  /**
   * The remotes the policy names, from their caches: a stale one under keep is unavailable (its
   * companions stay as they are), under withdraw withdrawn (its companions go). Only the named
   * remotes' pods are handed over; a policy that names none needs none.
   */
  #remoteView(cluster: string, policy: NetworkPolicy | undefined): { remotes: Map<string, RemotePods>; unavailable: Set<string>; withdrawn: Set<string> } {
    const { config } = this.#o;
    const remotes = new Map<string, RemotePods>();
    const unavailable = new Set<string>();
    const withdrawn = new Set<string>();
    // Stale remotes count even when the policy is gone or no longer names them: their companions are judged too.
    for (const c of config.clusters) {
      if (c.name === cluster || !this.#o.isStale?.(c.name)) continue;
      (staleEffect('policies', c.stalePolicy) === 'withdraw' ? withdrawn : unavailable).add(c.name);
    }
    const spanned = policy ? spannedRemotes(config, cluster, policy) : undefined;
    for (const r of spanned && 'remotes' in spanned ? spanned.remotes : []) {
      const caches = this.#o.remotes.get(r);
      if (!caches || unavailable.has(r) || withdrawn.has(r)) continue;
      remotes.set(r, { cluster: r, pods: [...caches.pods.values()], namespaces: [...caches.namespaces.values()] });
    }
    return { remotes, unavailable, withdrawn };
  }

  /** Logs a change of the key's problems once, and posts an Event for each new one. */
  async #report(key: PolicyKey, c: PolicyCaches, client: ApiClient, problems: PolicyProblem[], policy: NetworkPolicy | undefined): Promise<void> {
    if (problems.length) this.#problems.set(key, problems);
    else this.#problems.delete(key);
    await this.#reported.report(key, problems.map((p) => p.message).join('; '), {
      log: () => this.#o.log.warn({ cluster: c.cluster, key, problems: problems.map((p) => p.message) }, 'policy not spanned'),
      post: async () => {
        for (const r of await (this.#o.reportProblem ?? postEvents)(client, problems, policy)) {
          if (r.outcome === 'failed') this.#o.log.warn({ cluster: c.cluster, key, error: r.detail }, 'event not posted');
        }
      },
    });
  }
}
