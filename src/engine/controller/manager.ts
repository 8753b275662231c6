// Controller mode: the manager of the capabilities (capabilities.ts). It owns what they share —
// one informer per (cluster, resource, selector) with fan-out to their handlers, one writer per
// written cluster (its write budget and leader check), the Nodes' pod ranges, cluster health and
// staleness, the resync timer and start/stop — and knows nothing of what any capability does.
import type { Logger } from 'pino';
import type { Config } from '../../config/types.ts';
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
import { declareNodeRanges, type NodeRanges } from './node-ranges.ts';
import { ProblemLog } from './problem-log.ts';
import { ClusterWriter, NOT_LEADER } from './writer.ts';
import { LocalityTracker, watchedPlaces } from './locality.ts';
import { ClusterPropertyObjects, declareClusterProperties } from './cluster-properties.ts';
import type { OptionalCollection } from './optional-collection.ts';
import { RejectionTally } from '../rejection-tally.ts';
import type { Rejection } from '../../model/endpoint-guard.ts';
import type { LocalityState } from '../../model/locality/plan.ts';
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
  readonly #informers: SharedInformer[];
  readonly #ready: (() => Promise<void>)[] = [];
  readonly #health: ClusterHealthTracker;
  readonly #rejections: RejectionTally;
  readonly #locality: LocalityTracker;
  #ticker?: NodeJS.Timeout;
  #resyncTimer?: NodeJS.Timeout;
  #started = false;
  #stopped = false;
  #resyncs = 0;

  constructor(o: ManagerOptions) {
    this.#o = o;
    const { config, metrics, log } = o;
    for (const c of config.clusters) {
      if (!o.clusters.has(c.name)) throw new Error(`cluster ${c.name} is not connected`);
      metrics?.addCluster(c.name);
    }
    const registry = new InformerRegistry();
    const nodes = declareNodeRanges(config, o.localCluster, registry, log, (n, e) => this.#nodesChanged(n, e));
    const properties = declareClusterProperties(config, o.localCluster, registry, (p) => this.#propertiesChanged(p));
    const writers = new Map<string, ClusterWriter>();
    for (const c of config.clusters) {
      if (o.localCluster !== undefined && o.localCluster !== c.name) continue;
      writers.set(c.name, new ClusterWriter({
        cluster: c.name,
        client: withRequestTimeout(o.clusters.get(c.name)!.client, DESTINATION_REQUEST_TIMEOUT_MS),
        instance: config.instance,
        concurrency: config.concurrency,
        // One write budget per cluster, shared by every capability.
        limiter: new TokenBucket({ qps: config.controller.writeQps, burst: config.controller.writeBurst }),
        fieldManager: o.fieldManager,
        refusal: () => (this.#leading && !this.#stopped ? undefined : NOT_LEADER),
        log,
        metrics,
      }));
    }
    const taking = () => this.#started && !this.#stopped;
    // One tally for the endpoint guard of every capability: they set the same gauge, each under its own keys.
    const rejections = new RejectionTally(metrics?.rejectedEndpoints, log);
    this.#rejections = rejections;
    this.#locality = new LocalityTracker({ log, metrics, writers, isLeader: () => this.#leading && !this.#stopped });
    const locality = { view: watchedPlaces(config, nodes, properties), tracker: this.#locality };
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
    this.#informers = registry.seal();
    const statuses = new Map<string, ReflectorStatus[]>();
    for (const inf of this.#informers) {
      // The Nodes and the ClusterProperties are read where they can be: settled when listed or absent.
      const optional: OptionalCollection | undefined = inf.resource === 'nodes' ? nodes.get(inf.cluster) : inf.resource === 'clusterproperties' ? properties.get(inf.cluster) : undefined;
      const r = reflectorOf(inf, { client: o.clusters.get(inf.cluster)!.client, controller: config.controller, log, metrics, ...(optional ? { optional } : {}) });
      inf.reflector = r;
      this.#ready.push(optional ? () => optional.whenSettled() : () => r.whenSynced());
      statuses.set(inf.cluster, [...(statuses.get(inf.cluster) ?? []), optional ? optional.healthOf(r) : r]);
    }
    // Staleness is judged for every cluster whose cached view some capability acts on.
    const judged = new Set(this.capabilities.flatMap((c) => c.judged));
    this.#health = new ClusterHealthTracker(config.clusters, config.clusters.filter((c) => judged.has(c.name)), statuses);
  }

  /** The capability of that name, when the config turns it on. */
  get<C extends Capability>(factory: { name: CapabilityName; create(ctx: CapabilityContext): C }): C | undefined {
    return this.capabilities.find((c): c is C => c.name === factory.name);
  }

  get #leading(): boolean {
    return this.#o.isLeader?.() ?? true;
  }

  /** Every reflector has listed once: reconciling before that would collect what it has not seen yet. */
  get synced(): boolean {
    return this.#health.health().every((h) => h.synced);
  }

  health(): ClusterHealth[] {
    return this.#health.health();
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
    for (const c of this.#o.config.clusters) {
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
