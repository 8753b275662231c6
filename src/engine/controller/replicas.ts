// The replica capability: every exported Service made to exist in every destination as a
// selectorless Service with the source's endpoints (docs/architecture.md). Its keys are Service
// keys ("namespace/name") on one lane per destination: a source change concerns every lane, a
// destination's own objects (and our writes there) only its own, so a destination that hangs
// holds up its own items and nothing else.
import { CONFLICT_KINDS } from '../../model/conflicts.ts';
import { REJECT_REASONS } from '../../model/endpoint-guard.ts';
import { serviceKey, type ServiceKey } from '../../vocab/keys.ts';
import { LanedCapability, type Capability, type CapabilityContext, type CapabilityFactory, type StaleChange } from './capability.ts';
import { destinationItems } from './destination-items.ts';
import type { ClusterConfig, Config } from '../../config/types.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { PendingPropagations } from './propagation.ts';
import { Reconciler } from './reconciler.ts';
import { allKeys, declareDestination, declareSource, sourceKeys, topology, type DestinationCaches, type ReplicaHandlers, type ReplicaTopology, type SourceCaches } from './topology.ts';

export class Replicas extends LanedCapability<ServiceKey> implements Capability {
  readonly name = 'replicas' as const;
  readonly topology: ReplicaTopology;
  readonly reconciler: Reconciler;
  readonly #propagation = new PendingPropagations();
  config: Config;
  readonly #ctx: CapabilityContext;
  readonly #on: ReplicaHandlers;
  /** What a joining cluster's watches fill, until they have listed. */
  readonly #joining = new Map<string, { source?: SourceCaches; destination?: DestinationCaches; config: Config }>();

  constructor(ctx: CapabilityContext) {
    super(ctx.lanes<ServiceKey>(ctx.writers.keys()));
    this.config = ctx.config;
    this.#ctx = ctx;
    const { config, metrics } = ctx;
    this.#on = {
      source: (cluster, keys) => {
        // The initial lists are not changes to propagate; timing them would measure start-up.
        // Nor are a joining cluster's: it is no source until joined (its keys are queued then).
        if (!ctx.started() || !this.topology.sources.has(cluster)) return;
        this.#propagation.observed(cluster, destinationItems(this.lanes.names, keys));
        this.lanes.add(keys);
      },
      destination: (cluster, keys) => this.lanes.addIn(cluster, keys),
    };
    this.topology = topology(config, ctx.localCluster, ctx.informers, ctx.nodes, this.#on);
    // Every source's rejection series from the start, so dashboards and alerts read 0, not no data.
    for (const cluster of this.topology.sources.keys()) for (const reason of REJECT_REASONS) metrics?.rejectedEndpoints.set({ cluster, reason }, 0);
    this.reconciler = new Reconciler({
      config,
      sources: this.topology.sources,
      destinations: this.topology.destinations,
      writers: ctx.writers,
      log: ctx.log,
      metrics,
      rejections: ctx.rejections,
      propagation: this.#propagation,
      problems: ctx.problems(),
      isStale: (c) => ctx.isStale(c),
      isLeader: () => ctx.isLeader(),
      onOwnWrite: (cluster, keys) => this.lanes.addIn(cluster, keys),
      locality: ctx.locality,
    });
  }

  get judged(): string[] {
    return [...this.topology.sources.keys()];
  }

  joining(c: ClusterConfig, config: Config): void {
    const { informers, localCluster } = this.#ctx;
    const side: { source?: SourceCaches; destination?: DestinationCaches; config: Config } = { config };
    if (c.exports.length > 0) side.source = declareSource(informers, c, this.#ctx.nodes, this.#on);
    if (localCluster === undefined || localCluster === c.name) side.destination = declareDestination(informers, config, c.name, this.topology, this.#on);
    this.#joining.set(c.name, side);
  }

  joined(cluster: string): void {
    const side = this.#joining.get(cluster);
    if (!side) return;
    this.#joining.delete(cluster);
    this.#configure(side.config);
    if (side.source) {
      this.topology.sources.set(cluster, side.source);
      for (const reason of REJECT_REASONS) this.#ctx.metrics?.rejectedEndpoints.set({ cluster, reason }, 0);
    }
    if (side.destination) {
      this.topology.destinations.set(cluster, side.destination);
      this.lanes.addLane(cluster);
      // Every exported Service may now belong there ("every other cluster" includes it).
      this.lanes.addIn(cluster, allKeys(this.topology));
    }
    if (side.source) this.lanes.add(sourceKeys(side.source));
  }

  async left(cluster: string, kept: boolean, config: Config): Promise<void> {
    this.#joining.delete(cluster);
    this.topology.destinations.delete(cluster);
    await this.lanes.removeLane(cluster);
    const source = this.topology.sources.get(cluster);
    if (source && !kept) this.topology.sources.delete(cluster);
    this.#configure(config);
    // Kept: now stale for good, its stale policy applies; dropped: what it sourced goes.
    if (source) this.lanes.add(sourceKeys(source));
  }

  /** The fleet's export rules as they now read, for the reconciler and every source. */
  #configure(config: Config): void {
    this.config = config;
    this.reconciler.configure(config);
    for (const [name, s] of this.topology.sources) {
      const c = config.clusters.find((x) => x.name === name);
      if (c) s.config = c;
    }
  }

  protected reconcileOn(cluster: string, key: ServiceKey): Promise<void> {
    return this.reconciler.reconcileIn(cluster, key);
  }

  resync(): void {
    this.lanes.add(allKeys(this.topology));
  }

  staleChanged(t: StaleChange): void {
    const source = this.topology.sources.get(t.cluster);
    if (source) this.lanes.add(sourceKeys(source));
  }

  rangesChanged(cluster: string): void {
    const source = this.topology.sources.get(cluster);
    if (source) this.lanes.add(sourceKeys(source));
  }

  gauges(m: ControllerMetricsSink): void {
    const conflicts = this.reconciler.conflicts();
    for (const [cluster, d] of this.topology.destinations) {
      m.managedObjects.set({ cluster, kind: 'Service' }, d.services.size);
      m.managedObjects.set({ cluster, kind: 'EndpointSlice' }, d.slices.size);
      for (const kind of CONFLICT_KINDS) {
        const keys = new Set(conflicts.filter((c) => c.cluster === cluster && c.kind === kind).map((c) => serviceKey(c.namespace, c.name)));
        m.conflicts.set({ cluster, kind }, keys.size);
      }
    }
  }
}

export const replicas: CapabilityFactory<Replicas> = {
  name: 'replicas',
  // Always on: with no export rules it has no source, but still cleans up what it owns.
  enabled: () => true,
  create: (ctx) => new Replicas(ctx),
};

