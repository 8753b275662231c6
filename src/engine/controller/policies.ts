// The policies capability (config `networkPolicies: true`, docs/policies.md): the companions of
// every spanned NetworkPolicy, kept equal to the remote pods it names. A policy and its
// companions live in one cluster, so its keys run on that cluster's lane; a remote's pod or
// namespace change touches every spanned policy that names the remote, in whichever cluster.
import { LanedCapability, type Capability, type CapabilityContext, type CapabilityFactory, type StaleChange } from './capability.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { splitPolicyKey, type PolicyKey } from './policy-keys.ts';
import { PolicyReconciler } from './policy-reconciler.ts';
import { allPolicyKeys, policyTopology, type PolicyTopology } from './policy-topology.ts';
import { PendingPropagations } from './propagation.ts';

export class Policies extends LanedCapability<PolicyKey> implements Capability {
  readonly name = 'policies' as const;
  readonly judged: string[];
  readonly topology: PolicyTopology;
  readonly reconciler: PolicyReconciler;
  readonly #propagation = new PendingPropagations();

  constructor(ctx: CapabilityContext) {
    const written = [...ctx.writers.keys()];
    super(ctx.lanes<PolicyKey>(written));
    this.topology = policyTopology(ctx.config, written, ctx.informers, (keys, remote) => {
      if (remote !== undefined && ctx.started()) this.#propagation.observed(remote, keys);
      this.#route(keys);
    });
    this.judged = [...this.topology.remotes.keys()];
    for (const cluster of written) ctx.metrics?.addPolicyCluster(cluster, [...this.topology.remotes.keys()].filter((r) => r !== cluster));
    this.reconciler = new PolicyReconciler({
      config: ctx.config,
      clusters: this.topology.policies,
      writers: ctx.writers,
      remotes: this.topology.remotes,
      log: ctx.log,
      metrics: ctx.metrics,
      propagation: this.#propagation,
      problems: ctx.problems(),
      isStale: (c) => ctx.isStale(c),
      isLeader: () => ctx.isLeader(),
    });
  }

  /** A policy key runs on the lane of the cluster it belongs to. */
  #route(keys: readonly PolicyKey[]): void {
    for (const k of keys) this.lanes.addIn(splitPolicyKey(k).cluster, [k]);
  }

  protected reconcileOn(_cluster: string, key: PolicyKey): Promise<void> {
    return this.reconciler.reconcile(key);
  }

  resync(): void {
    this.#route(allPolicyKeys(this.topology.index, this.topology.policies));
  }

  // Companions of policies anywhere that name it: kept as they are, or withdrawn.
  staleChanged(t: StaleChange): void {
    this.#route(this.topology.index.naming(t.cluster));
  }

  rangesChanged(): void {}

  gauges(m: ControllerMetricsSink): void {
    for (const [cluster, p] of this.topology.policies) {
      let companions = 0;
      for (const of of p.policies.indexValues()) companions += p.policies.indexed(of).length;
      m.companions.set({ cluster }, companions);
    }
  }

  status(): Record<string, unknown> {
    return { policies: this.view() };
  }

  /** Each spanned policy and its companions, and the problems that keep others from being spanned. */
  view(): { spanned: ReturnType<PolicyReconciler['spanned']>; problems: ReturnType<PolicyReconciler['problems']> } {
    return { spanned: this.reconciler.spanned(), problems: this.reconciler.problems() };
  }
}

export const policies: CapabilityFactory<Policies> = {
  name: 'policies',
  enabled: (config) => config.networkPolicies,
  create: (ctx) => new Policies(ctx),
};
