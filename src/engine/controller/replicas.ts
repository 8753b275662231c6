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
import type { Config } from '../../config/types.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { PendingPropagations } from './propagation.ts';
import { Reconciler } from './reconciler.ts';
import { allKeys, sourceKeys, topology, type ReplicaTopology } from './topology.ts';

export class Replicas extends LanedCapability<ServiceKey> implements Capability {
  readonly name = 'replicas' as const;
  readonly judged: string[];
  readonly topology: ReplicaTopology;
  readonly reconciler: Reconciler;
  readonly #propagation = new PendingPropagations();
  readonly config: Config;

  constructor(ctx: CapabilityContext) {
    super(ctx.lanes<ServiceKey>(ctx.writers.keys()));
    this.config = ctx.config;
    const { config, metrics } = ctx;
    this.topology = topology(config, ctx.localCluster, ctx.informers, ctx.nodes, {
      source: (cluster, keys) => {
        // The initial lists are not changes to propagate; timing them would measure start-up.
        if (!ctx.started()) return;
        this.#propagation.observed(cluster, destinationItems(this.lanes.names, keys));
        this.lanes.add(keys);
      },
      destination: (cluster, keys) => this.lanes.addIn(cluster, keys),
    });
    this.judged = [...this.topology.sources.keys()];
    // Every source's rejection series from the start, so dashboards and alerts read 0, not no data.
    for (const cluster of this.judged) for (const reason of REJECT_REASONS) metrics?.rejectedEndpoints.set({ cluster, reason }, 0);
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

