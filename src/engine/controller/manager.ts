// Controller mode: the manager of the capabilities (capabilities.ts). It owns what they share —
// one informer per (cluster, resource, selector) with fan-out to their handlers, one writer per
// written cluster (its write budget and leader check), the Nodes' pod ranges, cluster health and
// staleness, the resync timer and start/stop — and knows nothing of what any capability does.
//
// The fleet may change while it runs (a ClusterProfile added or deleted on the inventory hub):
// `join` adds one cluster's watches, writer and lanes and `leave` takes them out, without
// touching any other cluster's watch or queue; each capability hears of it through its
// FleetChanges hooks (capability.ts) and re-plans only what concerns that cluster.
import type { Logger } from 'pino';
import type { ClusterConfig, Config } from '../../config/types.ts';
import { RECONCILE_RETRY_BACKOFF } from '../../kube/backoff.ts';
import { TokenBucket } from '../../kube/ratelimit.ts';
import type { ReflectorStatus } from '../../kube/reflector.ts';
import { withRequestTimeout } from '../../kube/request-timeout.ts';
import type { Connected } from '../clusters.ts';
import { CAPABILITIES } from './capabilities.ts';
import { Lanes, SPANNING, type Capability, type CapabilityContext, type CapabilityName } from './capability.ts';
import { ClusterHealthTracker, type ClusterHealth } from './health.ts';
import { InformerRegistry, reflectorOf, type SharedInformer } from './informers.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { declareJoiningNodeRanges, declareNodeRanges, type NodeRanges } from './node-ranges.ts';
import { ProblemLog } from './problem-log.ts';
import { LocalityTracker, watchedPlaces } from './locality.ts';
import { ClusterPropertyObjects, declareClusterProperties, declareJoiningClusterProperties } from './cluster-properties.ts';
import type { OptionalCollection } from './optional-collection.ts';
import type { LocalityState } from '../../model/locality/plan.ts';
import { ClusterWriter, NOT_LEADER } from './writer.ts';
import { RejectionTally } from '../rejection-tally.ts';
import type { Rejection } from '../../model/endpoint-guard.ts';
import type { LivenessSignals } from '../liveness.ts';

export type { ClusterHealth } from './health.ts';

/**
 * How long one request to a written cluster may go unanswered. Shorter than the client's 30 s
 * default: a hung cluster's items then fail and back off sooner, and its retries notice
 * recovery sooner. Reads and watches keep their own timeouts.
 */
export const DESTINATION_REQUEST_TIMEOUT_MS = 10_000;

export interface ManagerOptions {
  config: Config;
  clusters: Map<string, Connected>;
  log: Logger;
  metrics?: ControllerMetricsSink;
  /** Pull mode: read every cluster, write only this one. */
  localCluster?: string;
  /** Writes happen only while this says so (leader election); default always. */
  isLeader?: () => boolean;
  fieldManager?: string;
}

/** A cluster that left while running, as /status shows it. */
export interface RemovedCluster {
  cluster: string;
  /** ISO time. */
  removedAt: string;
  /** What became of what it sourced (inventory.onRemove). */
  onRemove: 'keep' | 'withdraw';
  /** In words: what stays where. */
  kept: string;
}

export interface Progress {
  watches: { cluster: string; resource: string; path: string; labelSelector?: string; resourceVersion: string }[];
  queued: number;
  inFlight: number;
  /** Full resyncs queued since start (at start, on the timer, on becoming leader). */
  resyncs: number;
}

export class Manager {
  readonly capabilities: Capability[];
  readonly #o: ManagerOptions;
  readonly #registry = new InformerRegistry();
  readonly #ready: (() => Promise<void>)[] = [];
  readonly #health: ClusterHealthTracker;
  /** The connected clients, by cluster: the constructor's, then the joined ones. */
  readonly #clients: Map<string, Connected>;
  readonly #writers = new Map<string, ClusterWriter>();
  readonly #nodes: Map<string, NodeRanges>;
  readonly #properties: Map<string, ClusterPropertyObjects>;
  readonly #locality: LocalityTracker;
  readonly #statuses = new Map<string, ReflectorStatus[]>();
  /** The clusters as they stand now (the constructor's config, then each join and leave). */
  #config: Config;
  /** Removed clusters whose last view was kept: still in the config the capabilities plan with. */
  readonly #kept = new Map<string, ClusterConfig>();
  readonly #joinedAt = new Map<string, string>();
  /** Clusters whose watches are still listing: not yet judged for readiness, nothing planned. */
  readonly #joining = new Set<string>();
  readonly #removed = new Map<string, RemovedCluster>();
  readonly #rejections: RejectionTally;
  #ticker?: NodeJS.Timeout;
  #resyncTimer?: NodeJS.Timeout;
  #started = false;
  #stopped = false;
  #resyncs = 0;

  constructor(o: ManagerOptions) {
    this.#o = o;
    const { config, metrics, log } = o;
    this.#config = config;
    this.#clients = new Map(o.clusters);
    const now = new Date().toISOString();
    for (const c of config.clusters) {
      if (!o.clusters.has(c.name)) throw new Error(`cluster ${c.name} is not connected`);
      metrics?.addCluster(c.name);
      this.#joinedAt.set(c.name, now);
    }
    const registry = this.#registry;
    const nodes = declareNodeRanges(config, o.localCluster, registry, log, (n, e) => this.#nodesChanged(n, e));
    this.#nodes = nodes;
    this.#properties = declareClusterProperties(config, o.localCluster, registry, (p) => this.#propertiesChanged(p));
    const writers = this.#writers;
    for (const c of config.clusters) this.#addWriter(c.name);
    const taking = () => this.#started && !this.#stopped;
    // One tally for the endpoint guard of every capability: they set the same gauge, each under its own keys.
    const rejections = new RejectionTally(metrics?.rejectedEndpoints, log);
    this.#rejections = rejections;
    this.#locality = new LocalityTracker({ log, metrics, writers, isLeader: () => this.#leading && !this.#stopped });
    const locality = { view: watchedPlaces(() => this.#planning(this.#config).clusters, nodes, this.#properties), tracker: this.#locality };
    const contextOf = (capability: CapabilityName): CapabilityContext => ({
      config, log, metrics, informers: registry, writers, nodes, rejections, locality, fieldManager: o.fieldManager,
      ...(o.localCluster !== undefined ? { localCluster: o.localCluster } : {}),
      isStale: (c) => this.#health.isStale(c),
      isLeader: () => this.#leading,
      started: taking,
      lanes: (names) => new Lanes(names, {
        baseDelayMs: RECONCILE_RETRY_BACKOFF.baseMs,
        maxDelayMs: RECONCILE_RETRY_BACKOFF.maxMs,
        onDone: (info) => {
          const result = info.ok ? 'ok' : 'error';
          metrics?.queueWait.observe(info.waitMs / 1000);
          metrics?.reconcileDuration.observe({ capability, result }, info.runMs / 1000);
          metrics?.reconciles.inc({ capability, result });
        },
      }, taking),
      problems: () => new ProblemLog({ isLeader: () => this.#leading }),
    });
    this.capabilities = CAPABILITIES.filter((f) => f.enabled(config)).map((f) => {
      metrics?.addCapability(f.name);
      return f.create(contextOf(f.name));
    });
    this.#ready.push(...this.#watch(registry.seal()));
    this.#health = new ClusterHealthTracker(config.clusters, this.#judged(config), this.#statuses);
  }

  get #informers(): readonly SharedInformer[] {
    return this.#registry.informers;
  }

  /** The clusters whose staleness is judged: every one whose cached view some capability acts on. */
  #judged(config: Config): ClusterConfig[] {
    const judged = new Set(this.capabilities.flatMap((c) => c.judged));
    return config.clusters.filter((c) => judged.has(c.name));
  }

  /** The config the capabilities plan with: the live clusters, then the removed ones kept. */
  #planning(config: Config): Config {
    return this.#kept.size === 0 ? config : { ...config, clusters: [...config.clusters, ...this.#kept.values()] };
  }

  /** A writer for a cluster this instance writes to (every one, or only the local one in pull mode). */
  #addWriter(cluster: string): void {
    const o = this.#o;
    if (o.localCluster !== undefined && o.localCluster !== cluster) return;
    const config = this.#config;
    this.#writers.set(cluster, new ClusterWriter({
      cluster,
      client: withRequestTimeout(this.#clients.get(cluster)!.client, DESTINATION_REQUEST_TIMEOUT_MS),
      instance: config.instance,
      concurrency: config.concurrency,
      // One write budget per cluster, shared by every capability.
      limiter: new TokenBucket({ qps: config.controller.writeQps, burst: config.controller.writeBurst }),
      fieldManager: o.fieldManager,
      refusal: () => (this.#leading && !this.#stopped ? undefined : NOT_LEADER),
      log: o.log,
      metrics: o.metrics,
    }));
  }

  /** Reflectors for newly sealed watches (not started); returns what says each is ready. */
  #watch(informers: readonly SharedInformer[]): (() => Promise<void>)[] {
    const ready: (() => Promise<void>)[] = [];
    for (const inf of informers) {
      // The Nodes and the ClusterProperties are read where they can be: settled when listed or absent.
      const optional: OptionalCollection | undefined = inf.resource === 'nodes' ? this.#nodes.get(inf.cluster) : inf.resource === 'clusterproperties' ? this.#properties.get(inf.cluster) : undefined;
      const r = reflectorOf(inf, { client: this.#clients.get(inf.cluster)!.client, controller: this.#config.controller, log: this.#o.log, metrics: this.#o.metrics, ...(optional ? { optional } : {}) });
      inf.reflector = r;
      ready.push(optional ? () => optional.whenSettled() : () => r.whenSynced());
      this.#statuses.set(inf.cluster, [...(this.#statuses.get(inf.cluster) ?? []), optional ? optional.healthOf(r) : r]);
    }
    return ready;
  }

  /** The clusters as they stand now. */
  get config(): Config {
    return this.#config;
  }

  /** Whether the cluster is part of the running fleet. */
  has(cluster: string): boolean {
    return this.#clients.has(cluster);
  }

  /**
   * A cluster joins the running controller: `config` is the fleet with it (and every other
   * cluster's export rules as they now read, "every other cluster" including it). Its watches
   * are added and started, and once they have listed its writer and lanes take work and the
   * capabilities queue what concerns it; resolves then (never, if they never list: a caller
   * that serializes fleet changes should not wait for it). No other cluster's watch or queue
   * is touched.
   */
  async join(connected: Connected, config: Config): Promise<void> {
    const c = connected.config;
    if (this.#stopped) return;
    if (this.#clients.has(c.name)) throw new Error(`cluster ${c.name} is already part of the fleet`);
    if (!config.clusters.some((x) => x.name === c.name)) throw new Error(`cluster ${c.name} is not in the config it joins with`);
    const { log, metrics } = this.#o;
    this.#clients.set(c.name, connected);
    this.#kept.delete(c.name);
    this.#removed.delete(c.name);
    this.#config = config;
    metrics?.addCluster(c.name);
    const n = declareJoiningNodeRanges(config, c, this.#o.localCluster, this.#registry, (r, e) => this.#nodesChanged(r, e));
    if (n) this.#nodes.set(c.name, n);
    const p = declareJoiningClusterProperties(config, c.name, this.#o.localCluster, this.#registry, (x) => this.#propertiesChanged(x));
    if (p) this.#properties.set(c.name, p);
    const planning = this.#planning(config);
    for (const cap of this.capabilities) cap.joining(c, planning);
    const added = this.#registry.seal();
    const ready = this.#watch(added);
    this.#joining.add(c.name);
    this.#health.update(config.clusters, this.#judged(config));
    log.info({ cluster: c.name, watches: added.length }, 'cluster joining: listing its collections');
    // Only the newcomer's watches start: the others keep their streams and their resourceVersions.
    for (const inf of added) inf.reflector!.start();
    await Promise.all(ready.map((r) => r()));
    if (this.#stopped || this.#clients.get(c.name) !== connected) return;
    this.#joining.delete(c.name);
    this.#addWriter(c.name);
    for (const cap of this.capabilities) cap.joined(c.name);
    this.#health.update(config.clusters, this.#judged(config));
    this.#joinedAt.set(c.name, new Date().toISOString());
    log.info({ cluster: c.name }, 'cluster joined');
  }

  /**
   * A cluster leaves the running fleet: its watches stop, its lanes finish what they run and
   * nothing is written to it again; the replicas it holds stay where they are. `keep`
   * (inventory.onRemove: keep): what it sourced stays in the other clusters as its stale policy
   * says, from its last view; otherwise it is withdrawn. `config` is the fleet without it.
   */
  async leave(cluster: string, config: Config, keep: boolean): Promise<void> {
    const connected = this.#clients.get(cluster);
    if (!connected || this.#stopped) return;
    const { log, metrics } = this.#o;
    const before = this.#config.clusters.find((c) => c.name === cluster);
    this.#clients.delete(cluster);
    this.#joining.delete(cluster);
    this.#config = config;
    // A kept cluster stays in the config the planners read, with its export rules as they were.
    if (keep && before) this.#kept.set(cluster, before);
    this.#health.remove(cluster, keep);
    const planning = this.#planning(config);
    await Promise.all(this.capabilities.map((cap) => cap.left(cluster, keep, planning)));
    await Promise.all(this.#registry.drop(cluster).map((inf) => inf.reflector?.stop()));
    this.#writers.delete(cluster);
    if (!keep) this.#nodes.delete(cluster);
    this.#properties.delete(cluster);
    this.#locality.forgetCluster(cluster);
    this.#statuses.delete(cluster);
    this.#health.update(config.clusters, this.#judged(config));
    this.#joinedAt.delete(cluster);
    this.#removed.set(cluster, {
      cluster,
      removedAt: new Date().toISOString(),
      onRemove: keep ? 'keep' : 'withdraw',
      kept: keep
        ? `what it sourced stays in the other clusters from its last view, as its stalePolicy (${before?.stalePolicy ?? 'keep'}) says; the replicas it holds stay there`
        : 'what it sourced is withdrawn from the other clusters; the replicas it holds stay there',
    });
    // Its series would otherwise be exported with their last values forever.
    await metrics?.removeCluster?.(cluster);
    log.warn({ cluster, onRemove: keep ? 'keep' : 'withdraw' }, 'cluster removed from the fleet');
  }

  /** The clusters that left while running, and what was kept of each. */
  removed(): RemovedCluster[] {
    return [...this.#removed.values()];
  }

  /** The capability of that name, when the config turns it on. */
  get<C extends Capability>(factory: { name: CapabilityName; create(ctx: CapabilityContext): C }): C | undefined {
    return this.capabilities.find((c): c is C => c.name === factory.name);
  }

  get #leading(): boolean {
    return this.#o.isLeader?.() ?? true;
  }

  /**
   * Every reflector has listed once: reconciling before that would collect what it has not seen
   * yet. A cluster still joining does not count: the others are served meanwhile, and one that
   * never lists (a missing grant) must not make the whole controller unready.
   */
  get synced(): boolean {
    return this.#health.health().every((h) => h.synced || this.#joining.has(h.cluster));
  }

  health(): ClusterHealth[] {
    return this.#health.health().map((h) => {
      if (this.#joining.has(h.cluster)) return { ...h, joining: true };
      const at = this.#joinedAt.get(h.cluster);
      return at ? { ...h, joinedAt: at } : h;
    });
  }

  /** Every capability's part of /status, every endpoint the guard refuses now (source, Service, address, reason), and the locality tier of each import with tiers. */
  status(): Record<string, unknown> {
    return Object.assign({}, ...this.capabilities.map((c) => c.status?.() ?? {}), { rejected: this.rejected(), locality: this.locality() });
  }

  /** The locality tier each importing cluster uses, per Service with tiers. */
  locality(): LocalityState[] {
    return this.#locality.states();
  }

  /** Every endpoint the guard refuses now, over every capability. */
  rejected(): Rejection[] {
    return this.#rejections.all();
  }

  /**
   * What the controller has seen and done, as plain data: each watch with the resourceVersion it
   * has seen up to, and the work queued and running. A caller that knows the resourceVersion of
   * a change can wait for the watch to pass it and the work to drain: a positive sign that the
   * change was processed (what tests wait for before asserting that nothing more was written).
   */
  progress(): Progress {
    return {
      watches: this.#informers.map((inf) => ({ cluster: inf.cluster, resource: inf.resource, path: inf.path, ...(inf.labelSelector ? { labelSelector: inf.labelSelector } : {}), resourceVersion: inf.reflector?.seenResourceVersion ?? '' })),
      queued: this.queued,
      inFlight: this.capabilities.reduce((n, c) => n + c.inFlight, 0),
      resyncs: this.#resyncs,
    };
  }

  /** What a liveness check reads of the controller's loops, as plain data (engine/liveness.ts judges it). */
  liveness(): Pick<LivenessSignals, 'reflectors' | 'workers'> {
    return {
      reflectors: this.#informers.flatMap((inf) => (inf.reflector ? [{ cluster: inf.cluster, ...inf.reflector.liveness() }] : [])),
      workers: this.capabilities.flatMap((c) => c.oldestInFlight().map((w) => ({ queue: `${w.lane === SPANNING ? 'spanning' : w.lane} (${c.name})`, key: w.key, forMs: w.forMs }))),
    };
  }

  /** The items waiting in every capability's queues. */
  get queued(): number {
    return this.capabilities.reduce((n, c) => n + c.queued, 0);
  }

  async start(): Promise<void> {
    for (const inf of this.#informers) inf.reflector!.start();
    // A Nodes watch is ready when listed or refused: until then a source's addresses are unchecked.
    await Promise.all(this.#ready.map((ready) => ready()));
    if (this.#stopped) return;
    this.#started = true;
    for (const c of this.capabilities) c.start(this.#o.config.concurrency);
    this.#ticker = setInterval(() => this.#tick(), 1000);
    this.#resyncTimer = setInterval(() => this.resyncAll(), this.#o.config.controller.resyncMs);
    this.#tick();
    this.resyncAll();
    this.#o.log.info({ capabilities: this.capabilities.map((c) => c.name), watches: this.#informers.length }, 'caches synced; reconciling');
  }

  /** After this instance becomes leader: everything may have changed while it stood by. */
  resyncAll(): void {
    this.#resyncs++;
    for (const c of this.capabilities) c.resync();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#ticker);
    clearInterval(this.#resyncTimer);
    await Promise.all(this.capabilities.map((c) => c.stop()));
    await Promise.all(this.#informers.map((inf) => inf.reflector?.stop()));
  }

  /** Staleness transitions, and the gauges. */
  #tick(): void {
    for (const t of this.#health.refresh()) {
      this.#o.log.warn({ cluster: t.cluster, stale: t.stale, policy: t.policy }, t.stale ? 'cluster is stale' : 'cluster is back');
      for (const c of this.capabilities) c.staleChanged(t);
    }
    const m = this.#o.metrics;
    if (!m) return;
    for (const c of this.#config.clusters) {
      const inv = c.origin?.kind === 'inventory' ? c.origin : undefined;
      m.clusterInfo.set({ cluster: c.name, origin: inv ? 'inventory' : 'file', profile: inv ? `${inv.namespace}/${inv.profile}` : '' }, 1);
      if (inv?.healthy !== undefined) m.clusterProfileHealthy.set({ cluster: c.name }, inv.healthy ? 1 : 0);
    }
    for (const h of this.health()) {
      m.clusterConnected.set({ cluster: h.cluster }, h.connected ? 1 : 0);
      m.clusterSynced.set({ cluster: h.cluster }, h.synced ? 1 : 0);
      m.clusterStale.set({ cluster: h.cluster }, h.stale ? 1 : 0);
      if (h.lastSeen) m.clusterLastSeen.set({ cluster: h.cluster }, Date.parse(h.lastSeen) / 1000);
    }
    for (const c of this.capabilities) c.gauges(m);
    this.#locality.gauges(m);
    m.queueDepth.set(this.queued);
  }


  /** A cluster's ClusterProperties changed: tiers may select other clusters now; rare, so everything is planned again. */
  #propertiesChanged(p: ClusterPropertyObjects): void {
    p.listed(this.#o.log);
    if (!this.#started) return;
    this.#o.log.info({ cluster: p.cluster, properties: p.values() }, 'ClusterProperties of the cluster changed');
    this.resyncAll();
  }

  /**
   * A cluster's Nodes: a change of its CIDR set re-plans every key it sources, on every
   * capability, so addresses a new Node's range covers go out and ones a removed Node's range
   * held are withdrawn.
   */
  #nodesChanged(n: NodeRanges, e: Parameters<NodeRanges['apply']>[0]): void {
    n.listed(this.#o.log);
    const zonesMoved = n.applyZone(e);
    if (zonesMoved && this.#started) {
      this.#o.log.info({ cluster: n.cluster, zones: n.zones }, 'zones of the cluster\'s Nodes changed');
      // Rare, and any import there may hint differently now: plan everything again.
      this.resyncAll();
    }
    // The initial list is not a change: start() plans everything, and a log line per Node would flood.
    if (!n.apply(e) || !this.#started) return;
    this.#o.log.info({ cluster: n.cluster, podCIDRs: n.cidrs ?? [] }, 'pod ranges of the cluster\'s Nodes changed');
    for (const c of this.capabilities) c.rangesChanged(n.cluster);
  }
}
