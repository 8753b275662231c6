// The imports capability (config `mcs: true`, docs/mcs.md): every multi-cluster service —
// ServiceExports merged by the KEP's rules — imported into every written cluster as a
// ServiceImport, a derived Service and slices. One reconcile writes to every cluster at once,
// so its keys ("mcs:<namespace>/<name>") run on a single lane of their own, where they neither
// wait behind a destination's replica items nor hold them up.
import type { ClusterConfig, Config } from '../../config/types.ts';
import { isOwned } from '../../vocab/labels.ts';
import { LanedCapability, SPANNING, type Capability, type CapabilityContext, type CapabilityFactory } from './capability.ts';
import type { McsRecord } from './fleet-imports.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { McsReconciler, type McsState } from './mcs-reconciler.ts';
import { allMcsKeys, declareMcsDestination, declareMcsSource, mcsKeysExportedBy, mcsTopology, type McsDestinationCaches, type McsKey, type McsSourceCaches, type McsTopology } from './mcs-topology.ts';

export class Imports extends LanedCapability<McsKey> implements Capability {
  readonly name = 'imports' as const;
  readonly topology: McsTopology;
  readonly reconciler: McsReconciler;
  readonly #instance: string;
  readonly #ctx: CapabilityContext;
  /** What a joining cluster's watches fill, until they have listed. */
  readonly #joining = new Map<string, { source: McsSourceCaches; destination?: McsDestinationCaches; config: Config }>();

  constructor(ctx: CapabilityContext) {
    super(ctx.lanes<McsKey>([SPANNING]));
    this.#instance = ctx.config.instance;
    this.#ctx = ctx;
    this.topology = mcsTopology(ctx.config, ctx.localCluster, ctx.nodes, ctx.informers, (keys) => this.lanes.add(keys));
    this.reconciler = new McsReconciler({
      config: ctx.config,
      topology: this.topology,
      writers: ctx.writers,
      log: ctx.log,
      metrics: ctx.metrics,
      rejections: ctx.rejections,
      problems: ctx.problems(),
      isStale: (c) => ctx.isStale(c),
      isLeader: () => ctx.isLeader(),
      locality: ctx.locality,
    });
  }

  // Any cluster may export.
  get judged(): string[] {
    return [...this.topology.sources.keys()];
  }

  joining(c: ClusterConfig, config: Config): void {
    const { informers, localCluster, nodes } = this.#ctx;
    const on = (keys: McsKey[]) => this.lanes.add(keys);
    const side: { source: McsSourceCaches; destination?: McsDestinationCaches; config: Config } = { source: declareMcsSource(informers, c.name, nodes, on), config };
    if (localCluster === undefined || localCluster === c.name) side.destination = declareMcsDestination(informers, config, c.name, this.topology, on);
    this.#joining.set(c.name, side);
  }

  // A new exporter, and a new cluster every import belongs in: every multi-cluster service concerns it.
  joined(cluster: string): void {
    const side = this.#joining.get(cluster);
    if (!side) return;
    this.#joining.delete(cluster);
    this.reconciler.configure(side.config);
    this.topology.sources.set(cluster, side.source);
    if (side.destination) this.topology.destinations.set(cluster, side.destination);
    this.resync();
  }

  // Its exports are withdrawn (or, kept, stand as its stale policy says): every service it took part in.
  async left(cluster: string, kept: boolean, config: Config): Promise<void> {
    this.#joining.delete(cluster);
    const keys = mcsKeysExportedBy(this.topology, cluster);
    this.topology.destinations.delete(cluster);
    if (!kept) this.topology.sources.delete(cluster);
    this.reconciler.configure(config);
    this.lanes.add(keys);
  }

  protected reconcileOn(_lane: string, key: McsKey): Promise<void> {
    return this.reconciler.reconcile(key);
  }

  resync(): void {
    this.lanes.add(allMcsKeys(this.topology, this.#instance));
  }

  // Any service may have a constituent in the cluster that turned stale or came back.
  staleChanged(): void {
    this.resync();
  }

  rangesChanged(cluster: string): void {
    this.lanes.add(mcsKeysExportedBy(this.topology, cluster));
  }

  gauges(m: ControllerMetricsSink): void {
    for (const [cluster, d] of this.topology.destinations) {
      let owned = 0;
      for (const si of d.imports.values()) if (isOwned(si.metadata, this.#instance)) owned++;
      m.managedObjects.set({ cluster, kind: 'ServiceImport' }, owned);
    }
  }

  // Multi-cluster services: exporters, invalid exports, conflicts, problems, as the last reconciles saw them.
  status(): Record<string, unknown> {
    return { imports: this.states() };
  }

  /** Every multi-cluster service the last reconciles saw: exporters, invalid exports, conflicts. */
  states(): McsState[] {
    return this.reconciler.states();
  }

  /** What the status page's import rows read. */
  get record(): McsRecord {
    return this.reconciler;
  }
}

export const imports: CapabilityFactory<Imports> = {
  name: 'imports',
  enabled: (config) => config.mcs,
  create: (ctx) => new Imports(ctx),
};
