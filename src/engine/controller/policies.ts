// The policies capability (config `networkPolicies: true`, docs/policies.md): the companions of
// every spanned NetworkPolicy, kept equal to the remote pods it names. A policy and its
// companions live in one cluster, so its keys run on that cluster's lane; a remote's pod or
// namespace change touches every spanned policy that names the remote, in whichever cluster.
import type { ClusterConfig, Config } from '../../config/types.ts';
import { isOwned } from '../../vocab/labels.ts';
import { namespaceOf } from '../../vocab/keys.ts';
import { LanedCapability, type Capability, type CapabilityContext, type CapabilityFactory, type StaleChange } from './capability.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { policyKey, splitPolicyKey, type PolicyKey } from './policy-keys.ts';
import { PolicyReconciler } from './policy-reconciler.ts';
import { allPolicyKeys, declarePolicyCluster, declareRemote, policyTopology, type PolicyCaches, type PolicyHandler, type PolicyTopology, type RemoteCaches } from './policy-topology.ts';
import { PendingPropagations } from './propagation.ts';

export class Policies extends LanedCapability<PolicyKey> implements Capability {
  readonly name = 'policies' as const;
  readonly topology: PolicyTopology;
  readonly reconciler: PolicyReconciler;
  readonly #propagation = new PendingPropagations();
  readonly #ctx: CapabilityContext;
  readonly #on: PolicyHandler;
  #instance: string;
  /** What a joining cluster's watches fill (and the remotes it makes of others), until they have listed. */
  readonly #joining = new Map<string, { policies?: PolicyCaches; remotes: RemoteCaches[]; config: Config }>();

  constructor(ctx: CapabilityContext) {
    const written = [...ctx.writers.keys()];
    super(ctx.lanes<PolicyKey>(written));
    this.#ctx = ctx;
    this.#instance = ctx.config.instance;
    this.#on = (keys, remote) => {
      if (remote !== undefined && ctx.started()) this.#propagation.observed(remote, keys);
      this.#route(keys);
    };
    this.topology = policyTopology(ctx.config, written, ctx.informers, this.#on);
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

  get judged(): string[] {
    return [...this.topology.remotes.keys()];
  }

  joining(c: ClusterConfig, config: Config): void {
    const { informers, localCluster } = this.#ctx;
    this.topology.index.configure(config);
    const writes = localCluster === undefined || localCluster === c.name;
    const written = [...this.topology.policies.keys(), ...(writes ? [c.name] : [])];
    const side: { policies?: PolicyCaches; remotes: RemoteCaches[]; config: Config } = { remotes: [], config };
    if (writes) side.policies = declarePolicyCluster(informers, config, c.name, this.topology.index, this.#on);
    // Every cluster some other written cluster may name, the newcomer and any that had no such cluster before.
    for (const { name } of config.clusters) {
      if (this.topology.remotes.has(name) || !written.some((d) => d !== name)) continue;
      side.remotes.push(declareRemote(informers, name, this.topology.index, this.#on));
    }
    this.#joining.set(c.name, side);
  }

  joined(cluster: string): void {
    const side = this.#joining.get(cluster);
    if (!side) return;
    this.#joining.delete(cluster);
    this.reconciler.configure(side.config);
    for (const r of side.remotes) this.topology.remotes.set(r.cluster, r);
    if (side.policies) {
      this.topology.policies.set(cluster, side.policies);
      this.lanes.addLane(cluster);
    }
    this.#reindex(side.config);
  }

  async left(cluster: string, kept: boolean, config: Config): Promise<void> {
    this.#joining.delete(cluster);
    this.topology.policies.delete(cluster);
    await this.lanes.removeLane(cluster);
    if (!kept) this.topology.remotes.delete(cluster);
    this.reconciler.configure(config);
    this.#reindex(config);
  }

  /**
   * The fleet changed: a policy naming "every other cluster" names another set now, so every
   * user policy is indexed again, and every spanned one re-planned.
   */
  #reindex(config: Config): void {
    this.#instance = config.instance;
    const { index } = this.topology;
    index.configure(config);
    for (const [cluster, p] of this.topology.policies) {
      for (const np of p.policies.values()) {
        if (isOwned(np.metadata, this.#instance)) continue;
        index.update(cluster, policyKey(cluster, namespaceOf(np.metadata), np.metadata.name), np);
      }
    }
    this.resync();
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
