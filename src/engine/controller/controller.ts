// Controller mode: reflectors keep every cluster's relevant objects in memory, events become
// Service keys on coalescing queues — one per destination, so a destination that hangs holds
// up only its own work — and each (destination, key) item is reconciled with the same pure
// planner `sync` uses, restricted to that key, then written through that destination's budget.
// This file is the wiring: which stores and watches exist (topology.ts), how healthy each
// cluster is (health.ts), what one reconcile does (reconciler.ts); here are the queues, the
// timers and start/stop. With networkPolicies on, policy keys ("policy:<cluster>/…") go to
// their cluster's queue and to policy-reconciler.ts; with mcs on, MCS keys ("mcs:…"), whose
// reconcile spans every cluster, go to a queue of their own and to mcs-reconciler.ts.
import type { Logger } from 'pino';
import type { Config } from '../../config/types.ts';
import { serviceKey, type ServiceKey } from '../../vocab/keys.ts';
import { isOwned } from '../../vocab/labels.ts';
import { REJECT_REASONS } from '../../model/endpoint-guard.ts';
import { CONFLICT_KINDS } from '../../model/conflicts.ts';
import { RECONCILE_RETRY_BACKOFF } from '../../kube/backoff.ts';
import { TokenBucket } from '../../kube/ratelimit.ts';
import { Reflector, type ListReason, type ReflectorStatus } from '../../kube/reflector.ts';
import type { Listed, Store, StoreEvent } from '../../kube/store.ts';
import type { Connected } from '../clusters.ts';
import { withRequestTimeout } from '../../kube/request-timeout.ts';
import { destinationItems } from './destination-items.ts';
import { DestinationQueues } from './destination-queues.ts';
import { fleetView, type FleetView } from './fleet-view.ts';
import { ClusterHealthTracker, type ClusterHealth } from './health.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import type { LivenessSignals } from '../liveness.ts';
import { PendingPropagations } from './propagation.ts';
import { isPolicyKey } from './policy-keys.ts';
import { PolicyReconciler, type PolicyCluster } from './policy-reconciler.ts';
import { allPolicyKeys } from './policy-topology.ts';
import { Reconciler, type Destination } from './reconciler.ts';
import { allKeys, sourceKeys, topology, type Topology, type Watch } from './topology.ts';
import { isRefusal, rangelessSources, type NodeRanges } from './node-ranges.ts';
import { RejectionTally } from '../rejection-tally.ts';
import { allMcsKeys, mcsKeysExportedBy, mcsKeysOfNamespace, mcsTopology, type McsKey, type McsTopology, type McsWatch } from './mcs-topology.ts';
import { McsReconciler, type McsState, type McsWriter } from './mcs-reconciler.ts';
import type { Namespace, Node } from '../../vocab/objects.ts';

export type { ClusterHealth } from './health.ts';

/**
 * How long one request to a destination may go unanswered. Shorter than the client's 30 s
 * default: a hung destination's items then fail and back off sooner, and its retries notice
 * recovery sooner. Reads and watches of the same cluster keep their own timeouts.
 */
export const DESTINATION_REQUEST_TIMEOUT_MS = 10_000;
export type { FleetView } from './fleet-view.ts';

export interface ControllerOptions {
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

export class Controller {
  private readonly o: ControllerOptions;
  private readonly topology: Topology;
  /** `ready`: when reconciling may start as far as this watch goes (synced, or for Nodes refused). */
  private readonly reflectors: { cluster: string; r: Reflector<Listed>; ready: () => Promise<void> }[] = [];
  private readonly healthTracker: ClusterHealthTracker;
  private readonly propagation = new PendingPropagations();
  private readonly policyPropagation = new PendingPropagations();
  private readonly reconciler: Reconciler;
  private readonly policyReconciler: PolicyReconciler;
  /** With config.mcs only. */
  private readonly mcs?: { topology: McsTopology; reconciler: McsReconciler };
  private readonly queues: DestinationQueues;
  private ticker?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private started = false;
  private stopped = false;

  constructor(opts: ControllerOptions) {
    this.o = opts;
    const { config, metrics } = opts;
    for (const c of config.clusters) {
      if (!opts.clusters.has(c.name)) throw new Error(`cluster ${c.name} is not connected`);
      metrics?.addCluster(c.name);
      // Every source's rejection series from the start, so dashboards and alerts read 0, not no data.
      // With mcs any cluster may export.
      if (c.exports.length > 0 || config.mcs) for (const reason of REJECT_REASONS) metrics?.rejectedEndpoints.set({ cluster: c.name, reason }, 0);
    }
    this.topology = topology(config, opts.localCluster);
    for (const c of rangelessSources(config)) {
      if (this.topology.nodes.has(c.name)) continue;
      opts.log.warn({ cluster: c.name }, 'pull mode reads this cluster with a reader\'s credential, whose Nodes are not read: its endpoints are replicated without the pod-range check (set podCIDRs for it in the config)');
    }
    const byCluster = new Map<string, ReflectorStatus[]>();
    const mcs = config.mcs ? mcsTopology(config, opts.localCluster, this.topology.nodes) : undefined;
    const reflectors = [
      ...this.topology.watches.map((w) => this.watched(w.cluster, this.reflector(w))),
      ...(mcs?.watches ?? []).map((w) => this.watched(w.cluster, this.mcsReflector(w))),
      ...[...this.topology.nodes.values()].map((n) => {
        const r = this.nodesReflector(n);
        return { cluster: n.cluster, r, ready: () => n.whenSettled(), status: n.healthOf(r) };
      }),
    ];
    for (const { cluster, r, ready, status } of reflectors) {
      this.reflectors.push({ cluster, r, ready });
      byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), status]);
    }
    // Staleness is judged for every cluster whose cached view is acted on: sources, remotes of spanned policies, and with mcs every cluster (any may export).
    const judged = config.clusters.filter((c) => config.mcs || this.topology.sources.has(c.name) || this.topology.remotes.has(c.name));
    this.healthTracker = new ClusterHealthTracker(config.clusters, judged, byCluster);
    const destinations = new Map<string, Destination>();
    const policyClusters = new Map<string, PolicyCluster>();
    const writers = new Map<string, McsWriter>();
    for (const [cluster, caches] of this.topology.destinations) {
      const client = withRequestTimeout(opts.clusters.get(cluster)!.client, DESTINATION_REQUEST_TIMEOUT_MS);
      // One write budget per cluster, shared by replicas, companions and imports.
      const limiter = new TokenBucket({ qps: config.controller.writeQps, burst: config.controller.writeBurst });
      destinations.set(cluster, { ...caches, client, limiter });
      writers.set(cluster, { client, limiter });
      const policies = this.topology.policies.get(cluster);
      if (policies) {
        policyClusters.set(cluster, { ...policies, client, limiter });
        metrics?.addPolicyCluster(cluster, [...this.topology.remotes.keys()].filter((r) => r !== cluster));
      }
    }
    this.queues = new DestinationQueues(destinations.keys(), {
      baseDelayMs: RECONCILE_RETRY_BACKOFF.baseMs,
      maxDelayMs: RECONCILE_RETRY_BACKOFF.maxMs,
      onDone: (_key, info) => {
        metrics?.queueWait.observe(info.waitMs / 1000);
        metrics?.reconcileDuration.observe({ result: info.ok ? 'ok' : 'error' }, info.runMs / 1000);
        metrics?.reconciles.inc({ result: info.ok ? 'ok' : 'error' });
      },
    });
    // One tally for both paths: they set the same gauge, each under its own keys.
    const rejections = new RejectionTally(metrics?.rejectedEndpoints, opts.log);
    this.reconciler = new Reconciler({
      rejections,
      config,
      sources: this.topology.sources,
      destinations,
      log: opts.log,
      metrics,
      propagation: this.propagation,
      fieldManager: opts.fieldManager,
      isStale: (cluster) => this.healthTracker.isStale(cluster),
      isLeader: () => this.isLeader,
      isStopping: () => this.stopped,
      // Queued as the watch events of those writes would have been; they will not be, being no newer.
      // Only in the destination written: the other destinations' caches did not change.
      onOwnWrite: (cluster, keys) => this.enqueueIn(cluster, keys),
    });
    if (mcs) {
      this.mcs = {
        topology: mcs.topology,
        reconciler: new McsReconciler({
          config,
          topology: mcs.topology,
          writers,
          namespaces: (cluster) => this.topology.destinations.get(cluster)?.namespaces,
          log: opts.log,
          metrics,
          rejections,
          fieldManager: opts.fieldManager,
          isStale: (cluster) => this.healthTracker.isStale(cluster),
          isLeader: () => this.isLeader,
          isStopping: () => this.stopped,
        }),
      };
    }
    this.policyReconciler = new PolicyReconciler({
      config,
      clusters: policyClusters,
      remotes: this.topology.remotes,
      log: opts.log,
      metrics,
      propagation: this.policyPropagation,
      fieldManager: opts.fieldManager,
      isStale: (cluster) => this.healthTracker.isStale(cluster),
      isLeader: () => this.isLeader,
      isStopping: () => this.stopped,
    });
  }

  /**
   * One list+watch of a cluster's collection into its store, with the watch's errors logged and
   * counted; `refused` takes an error first and returns true when it is not a failure to count.
   */
  private newReflector(
    w: { cluster: string; resource: string; path: string; labelSelector?: string; store: Store<Listed> },
    onEvent: (e: StoreEvent<Listed>) => void,
    hooks: { refused?: (err: Error) => boolean; onList?: () => void } = {},
  ): Reflector<Listed> {
    const { config, log, metrics } = this.o;
    const { cluster, resource } = w;
    return new Reflector<Listed>({
      listerWatcher: this.o.clusters.get(cluster)!.client,
      store: w.store,
      path: w.path,
      labelSelector: w.labelSelector,
      watchTimeoutSeconds: config.controller.watchTimeoutSeconds,
      resyncMs: config.controller.resyncMs,
      onError: (err) => {
        if (hooks.refused?.(err)) return;
        log.warn({ cluster, resource, err: err.message }, 'watch error');
        metrics?.watchRestarts.inc({ cluster, resource });
        metrics?.clusterLastError.set({ cluster }, Date.now() / 1000);
      },
      onList: (reason: ListReason) => {
        metrics?.relists.inc({ cluster, resource, reason });
        hooks.onList?.();
      },
      onEvent,
    });
  }

  /**
   * A cluster's Nodes: a change of its CIDR set re-plans every key it sources, replica and MCS,
   * so addresses a new Node's range covers go out and ones a removed Node's range held are
   * withdrawn. A 403 is a missing grant: the range check stays off (or at the ranges last
   * seen), logged once, and the reflector keeps re-asking at its backoff.
   */
  private nodesReflector(n: NodeRanges): Reflector<Listed> {
    const { log } = this.o;
    const cluster = n.cluster;
    const answered = () => {
      if (n.answered()) log.info({ cluster }, 'the Nodes can be read again: their pod ranges bound this cluster\'s endpoints');
    };
    return this.newReflector({ cluster, resource: 'nodes', path: n.path, store: n.store as unknown as Store<Listed> }, (e) => {
      answered();
      if (n.apply(e as unknown as StoreEvent<Node>)) this.rangesChanged(n);
    }, {
      onList: answered,
      refused: (err) => {
        if (!isRefusal(err)) {
          n.failed();
          return false;
        }
        if (n.refuse()) {
          log.warn({ cluster, missing: 'list, watch nodes', err: err.message },
            n.cidrs ? 'the Nodes may not be read any more: the pod ranges last seen stay in force' : 'the Nodes may not be read: the endpoint guard\'s range check is off for this cluster (grant list and watch on nodes, or set podCIDRs in the config)');
        }
        return true;
      },
    });
  }

  /** Every key the cluster sources, on both paths, once its pod ranges changed. */
  private rangesChanged(n: NodeRanges): void {
    // The initial list is not a change: start() plans everything, and a log line per Node would flood.
    if (!this.started) return;
    this.o.log.info({ cluster: n.cluster, podCIDRs: n.cidrs ?? [] }, 'pod ranges of the cluster\'s Nodes changed');
    const source = this.topology.sources.get(n.cluster);
    if (source) this.sourceChanged(n.cluster, sourceKeys(source));
    if (this.mcs) this.enqueue(mcsKeysExportedBy(this.mcs.topology, n.cluster));
  }

  private watched(cluster: string, r: Reflector<Listed>): { cluster: string; r: Reflector<Listed>; ready: () => Promise<void>; status: ReflectorStatus } {
    return { cluster, r, ready: () => r.whenSynced(), status: r };
  }

  private reflector(w: Watch): Reflector<Listed> {
    const cluster = w.cluster;
    return this.newReflector(w, (e) => {
      const keys = w.keysOf(e, () => allKeys(this.topology));
      if (w.role === 'source') this.sourceChanged(cluster, keys);
      // A destination's own objects concern only its own items.
      else if (w.role === 'destination') this.enqueueIn(cluster, keys);
      else this.enqueue(keys);
      // A namespace appearing is where an import may now belong.
      if (this.mcs && w.role === 'destination' && w.resource === 'namespaces') this.enqueue(mcsKeysOfNamespace(this.mcs.topology, e as StoreEvent<Namespace>));
      if (!w.policy) return;
      // Called on the initial lists too: a NetworkPolicy event keeps the remote → policy index current.
      const policyKeys = w.policy.keysOf(e);
      if (w.policy.remote) this.remoteChanged(cluster, policyKeys);
      else this.enqueue(policyKeys);
    });
  }

  private mcsReflector(w: McsWatch): Reflector<Listed> {
    return this.newReflector(w, (e) => this.enqueue(w.keysOf(e)));
  }

  private get isLeader(): boolean {
    return this.o.isLeader?.() ?? true;
  }

  /** Every reflector has listed once: reconciling before that would collect what it has not seen yet. */
  get synced(): boolean {
    return this.healthTracker.health().every((h) => h.synced);
  }

  /** Service keys go to every destination's queue, policy keys to their own cluster's, MCS keys to the spanning queue. */
  private enqueue(keys: readonly string[]): void {
    if (!this.started || this.stopped) return;
    this.queues.add(keys);
    this.o.metrics?.queueDepth.set(this.queues.length);
  }

  private enqueueIn(cluster: string, keys: readonly ServiceKey[]): void {
    if (!this.started || this.stopped) return;
    this.queues.addIn(cluster, keys);
    this.o.metrics?.queueDepth.set(this.queues.length);
  }

  private sourceChanged(cluster: string, keys: ServiceKey[]): void {
    // The initial lists are not changes to propagate; timing them would measure start-up.
    if (!this.started) return;
    this.propagation.observed(cluster, destinationItems(this.queues.destinations, keys));
    this.enqueue(keys);
  }

  private remoteChanged(cluster: string, keys: string[]): void {
    if (!this.started) return;
    this.policyPropagation.observed(cluster, keys);
    this.enqueue(keys);
  }

  async start(): Promise<void> {
    for (const { r } of this.reflectors) r.start();
    // A Nodes watch is ready when listed or refused: until then a source's addresses are unchecked.
    await Promise.all(this.reflectors.map(({ ready }) => ready()));
    if (this.stopped) return;
    this.started = true;
    this.queues.start({
      inDestination: (cluster, key) => (isPolicyKey(key) ? this.policyReconciler.reconcile(key) : this.reconciler.reconcileIn(cluster, key)),
      spanning: (key) => this.mcs!.reconciler.reconcile(key as McsKey),
    }, this.o.config.concurrency);
    this.ticker = setInterval(() => this.tick(), 1000);
    this.resyncTimer = setInterval(() => this.resyncAll(), this.o.config.controller.resyncMs);
    this.tick();
    this.resyncAll();
    const keys = allKeys(this.topology);
    this.o.log.info({ keys: keys.length, sources: [...this.topology.sources.keys()], destinations: [...this.topology.destinations.keys()] }, 'caches synced; reconciling');
  }

  /** After this instance becomes leader: everything may have changed while it stood by. */
  resyncAll(): void {
    this.enqueue(allKeys(this.topology));
    this.enqueue(allPolicyKeys(this.topology.policyIndex, this.topology.policies));
    if (this.mcs) this.enqueue(allMcsKeys(this.mcs.topology, this.o.config.instance));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    clearInterval(this.resyncTimer);
    await this.queues.shutdown();
    await Promise.all(this.reflectors.map(({ r }) => r.stop()));
  }

  /** Staleness transitions, and the per-cluster gauges. */
  private tick(): void {
    for (const t of this.healthTracker.refresh()) {
      const source = this.topology.sources.get(t.cluster);
      const role = source ? 'source' : 'remote';
      this.o.log.warn({ cluster: t.cluster, stale: t.stale, policy: t.policy }, t.stale ? `${role} cluster is stale` : `${role} cluster is back`);
      if (source) this.enqueue(sourceKeys(source));
      // Companions of policies anywhere that name it: kept as they are, or withdrawn.
      this.enqueue(this.topology.policyIndex.naming(t.cluster));
      if (this.mcs) this.enqueue(allMcsKeys(this.mcs.topology, this.o.config.instance));
    }
    const m = this.o.metrics;
    if (!m) return;
    for (const h of this.health()) {
      m.clusterConnected.set({ cluster: h.cluster }, h.connected ? 1 : 0);
      m.clusterSynced.set({ cluster: h.cluster }, h.synced ? 1 : 0);
      m.clusterStale.set({ cluster: h.cluster }, h.stale ? 1 : 0);
      if (h.lastSeen) m.clusterLastSeen.set({ cluster: h.cluster }, Date.parse(h.lastSeen) / 1000);
    }
    const conflicts = this.reconciler.conflicts();
    for (const [cluster, d] of this.topology.destinations) {
      m.managedObjects.set({ cluster, kind: 'Service' }, d.services.size);
      m.managedObjects.set({ cluster, kind: 'EndpointSlice' }, d.slices.size);
      const imports = this.mcs?.topology.destinations.get(cluster);
      if (imports) {
        let owned = 0;
        for (const k of imports.imports.keys()) if (isOwned(imports.imports.get(k)!.metadata, this.o.config.instance)) owned++;
        m.managedObjects.set({ cluster, kind: 'ServiceImport' }, owned);
      }
      for (const kind of CONFLICT_KINDS) {
        const keys = new Set(conflicts.filter((c) => c.cluster === cluster && c.kind === kind).map((c) => serviceKey(c.namespace, c.name)));
        m.conflicts.set({ cluster, kind }, keys.size);
      }
    }
    for (const [cluster, p] of this.topology.policies) {
      let companions = 0;
      for (const of of p.policies.indexValues()) companions += p.policies.indexed(of).length;
      m.companions.set({ cluster }, companions);
    }
    m.queueDepth.set(this.queues.length);
  }

  health(): ClusterHealth[] {
    return this.healthTracker.health();
  }

  /** What a liveness check reads of this controller's loops, as plain data (engine/liveness.ts judges it). */
  liveness(): Pick<LivenessSignals, 'reflectors' | 'workers'> {
    return {
      reflectors: this.reflectors.map(({ cluster, r }) => ({ cluster, ...r.liveness() })),
      workers: this.queues.oldestInFlight(),
    };
  }

  /** Each spanned policy and its companions, and the problems that keep others from being spanned. */
  policies(): { spanned: ReturnType<PolicyReconciler['spanned']>; problems: ReturnType<PolicyReconciler['problems']> } {
    return { spanned: this.policyReconciler.spanned(), problems: this.policyReconciler.problems() };
  }

  /** Every multi-cluster service the last reconciles saw: exporters, invalid exports, conflicts. */
  imports(): McsState[] {
    return this.mcs?.reconciler.states() ?? [];
  }

  /** Every export and the state of each of its edges, and with mcs every import, for the status page. */
  fleet(): FleetView {
    const { sources, destinations } = this.topology;
    const mcs = this.mcs ? { topology: this.mcs.topology, record: this.mcs.reconciler } : undefined;
    return fleetView({ config: this.o.config, sources, destinations, health: this.health(), record: this.reconciler, ...(mcs ? { mcs } : {}) });
  }
}
