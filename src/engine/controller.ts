// Controller mode: reflectors keep every cluster's relevant objects in memory, events become
// Service keys on a coalescing queue, and each key is reconciled with the same pure planner
// `sync` uses — restricted to that key — then written through each destination's budget.
import type { Logger } from 'pino';
import type { ClusterConfig, Config } from '../config/types.ts';
import { SERVICE_NAME, SLICE_MANAGED_BY, SLICE_MANAGED_BY_VALUE, isOwned, ownershipSelector } from '../vocab/labels.ts';
import { planDestination } from '../model/plan.ts';
import { selectExports } from '../model/select.ts';
import { isStale, staleView } from '../model/stale.ts';
import type { Action, DestinationSnapshot, SourceSnapshot } from '../model/types.ts';
import type { EndpointSlice, Namespace, Service } from '../vocab/objects.ts';
import { KubeApiError } from '../kube/client.ts';
import { TokenBucket } from '../kube/ratelimit.ts';
import { PATHS, sourceNamespaces } from '../kube/read.ts';
import { Reflector, keyOf, type ListReason, type ReflectorEvent } from '../kube/reflector.ts';
import { applyActions, type WriteResult } from '../kube/write.ts';
import type { ControllerMetrics } from '../server/metrics.ts';
import type { Connected } from './clusters.ts';
import { WorkQueue } from './queue.ts';

export interface ControllerOptions {
  config: Config;
  clusters: Map<string, Connected>;
  log: Logger;
  metrics?: ControllerMetrics;
  /** Pull mode: read every cluster, write only this one. */
  localCluster?: string;
  /** Writes happen only while this says so (leader election); default always. */
  isLeader?: () => boolean;
  fieldManager?: string;
}

export interface ClusterHealth {
  cluster: string;
  connected: boolean;
  synced: boolean;
  stale: boolean;
  unhealthySince?: string;
  lastSeen?: string;
  lastError?: string;
}

/** Slices grouped by the Service they belong to, kept current from reflector events. */
class SliceIndex {
  readonly byService = new Map<string, Map<string, EndpointSlice>>();

  apply(e: ReflectorEvent<EndpointSlice>): string[] {
    const keys: string[] = [];
    const drop = (s: EndpointSlice) => {
      const svc = serviceKeyOfSlice(s);
      if (!svc) return;
      keys.push(svc);
      const m = this.byService.get(svc);
      m?.delete(keyOf(s));
      if (m?.size === 0) this.byService.delete(svc);
    };
    if (e.type === 'modified') drop(e.old);
    if (e.type === 'deleted') {
      drop(e.object);
      return keys;
    }
    const svc = serviceKeyOfSlice(e.object);
    if (svc) {
      keys.push(svc);
      let m = this.byService.get(svc);
      if (!m) this.byService.set(svc, (m = new Map()));
      m.set(keyOf(e.object), e.object);
    }
    return keys;
  }

  get(key: string): EndpointSlice[] {
    return [...(this.byService.get(key)?.values() ?? [])];
  }
}

function serviceKeyOfSlice(s: EndpointSlice): string | undefined {
  const name = s.metadata.labels?.[SERVICE_NAME];
  return name && s.metadata.namespace ? `${s.metadata.namespace}/${name}` : undefined;
}

interface SourceSide {
  config: ClusterConfig;
  services: Reflector<Service>[];
  slices: Reflector<EndpointSlice>[];
  index: SliceIndex;
  stale: boolean;
}

interface DestinationSide {
  cluster: string;
  services: Reflector<Service>;
  slices: Reflector<EndpointSlice>;
  namespaces: Reflector<Namespace>;
  index: SliceIndex;
  limiter: TokenBucket;
}

const NOT_REPLICA = `${SLICE_MANAGED_BY}!=${SLICE_MANAGED_BY_VALUE}`;

export class Controller {
  private readonly o: ControllerOptions;
  private readonly sources = new Map<string, SourceSide>();
  private readonly destinations = new Map<string, DestinationSide>();
  private readonly queue: WorkQueue;
  /** When a source change for a key was first observed and not yet propagated, and from where. */
  private readonly pending = new Map<string, { at: number; source: string }>();
  private readonly reportedConflicts = new Map<string, string>();
  private ticker?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private started = false;
  private stopped = false;

  constructor(opts: ControllerOptions) {
    this.o = opts;
    const { config } = opts;
    this.queue = new WorkQueue({
      baseDelayMs: 200,
      maxDelayMs: 30_000,
      onDone: (_key, info) => {
        opts.metrics?.queueWait.observe(info.waitMs / 1000);
        opts.metrics?.reconcileDuration.observe({ result: info.ok ? 'ok' : 'error' }, info.runMs / 1000);
        opts.metrics?.reconciles.inc({ result: info.ok ? 'ok' : 'error' });
      },
    });
    const watchOpts = { watchTimeoutSeconds: config.controller.watchTimeoutSeconds, resyncMs: config.controller.resyncMs };
    for (const c of config.clusters) {
      const conn = opts.clusters.get(c.name);
      if (!conn) throw new Error(`cluster ${c.name} is not connected`);
      const client = conn.client;
      opts.metrics?.addCluster(c.name);
      const onError = (resource: string) => (err: Error) => {
        opts.log.warn({ cluster: c.name, resource, err: err.message }, 'watch error');
        opts.metrics?.watchRestarts.inc({ cluster: c.name, resource });
        opts.metrics?.clusterLastError.set({ cluster: c.name }, Date.now() / 1000);
      };
      const onList = (resource: string) => (reason: ListReason) => opts.metrics?.relists.inc({ cluster: c.name, resource, reason });
      if (c.exports.length > 0) {
        const scope = sourceNamespaces(c);
        const namespaces = scope === 'all' ? [undefined] : scope;
        const side: SourceSide = { config: c, services: [], slices: [], index: new SliceIndex(), stale: false };
        for (const ns of namespaces) {
          side.services.push(new Reflector<Service>({
            ...watchOpts, client, path: PATHS.services(ns), onError: onError('services'), onList: onList('services'),
            onEvent: (e) => this.sourceChanged(c.name, [keyOf(e.object)]),
          }));
          side.slices.push(new Reflector<EndpointSlice>({
            ...watchOpts, client, path: PATHS.slices(ns), labelSelector: NOT_REPLICA, onError: onError('endpointslices'), onList: onList('endpointslices'),
            onEvent: (e) => this.sourceChanged(c.name, side.index.apply(e)),
          }));
        }
        this.sources.set(c.name, side);
      }
      if (opts.localCluster === undefined || opts.localCluster === c.name) {
        const owned = ownershipSelector(config.instance);
        const index = new SliceIndex();
        this.destinations.set(c.name, {
          cluster: c.name,
          index,
          limiter: new TokenBucket({ qps: config.controller.writeQps, burst: config.controller.writeBurst }),
          services: new Reflector<Service>({ ...watchOpts, client, path: PATHS.services(), labelSelector: owned, onError: onError('services'), onList: onList('services'), onEvent: (e) => this.enqueue([keyOf(e.object)]) }),
          slices: new Reflector<EndpointSlice>({ ...watchOpts, client, path: PATHS.slices(), labelSelector: owned, onError: onError('endpointslices'), onList: onList('endpointslices'), onEvent: (e) => this.enqueue(index.apply(e)) }),
          namespaces: new Reflector<Namespace>({ ...watchOpts, client, path: PATHS.namespaces(), onError: onError('namespaces'), onList: onList('namespaces'), onEvent: (e) => this.namespaceChanged(e) }),
        });
      }
    }
  }

  private get isLeader(): boolean {
    return this.o.isLeader?.() ?? true;
  }

  private reflectors(): { cluster: string; r: Reflector<never> }[] {
    const out: { cluster: string; r: Reflector<never> }[] = [];
    for (const [cluster, s] of this.sources) for (const r of [...s.services, ...s.slices]) out.push({ cluster, r: r as unknown as Reflector<never> });
    for (const [cluster, d] of this.destinations) for (const r of [d.services, d.slices, d.namespaces]) out.push({ cluster, r: r as unknown as Reflector<never> });
    return out;
  }

  /** Every reflector has listed once: reconciling before that would collect what it has not seen yet. */
  get synced(): boolean {
    return this.reflectors().every(({ r }) => r.synced);
  }

  private enqueue(keys: string[]): void {
    if (!this.started || this.stopped) return;
    for (const k of keys) this.queue.add(k);
    this.o.metrics?.queueDepth.set(this.queue.length);
  }

  private sourceChanged(cluster: string, keys: string[]): void {
    // The initial lists are not changes to propagate; timing them would measure start-up.
    if (!this.started) return;
    const now = performance.now();
    for (const k of keys) if (!this.pending.has(k)) this.pending.set(k, { at: now, source: cluster });
    this.enqueue(keys);
  }

  private namespaceChanged(e: ReflectorEvent<Namespace>): void {
    if (e.type !== 'added') return;
    const ns = e.object.metadata.name;
    this.enqueue(this.allKeys().filter((k) => k.startsWith(`${ns}/`)));
  }

  private allKeys(): string[] {
    const keys = new Set<string>();
    for (const s of this.sources.values()) {
      for (const r of s.services) for (const k of r.store.keys()) keys.add(k);
      for (const k of s.index.byService.keys()) keys.add(k);
    }
    for (const d of this.destinations.values()) {
      for (const k of d.services.store.keys()) keys.add(k);
      for (const k of d.index.byService.keys()) keys.add(k);
    }
    return [...keys].sort();
  }

  async start(): Promise<void> {
    for (const { r } of this.reflectors()) r.start();
    await Promise.all(this.reflectors().map(({ r }) => r.whenSynced()));
    if (this.stopped) return;
    this.started = true;
    this.queue.start((key) => this.reconcile(key), this.o.config.concurrency);
    this.ticker = setInterval(() => this.tick(), 1000);
    this.resyncTimer = setInterval(() => this.enqueue(this.allKeys()), this.o.config.controller.resyncMs);
    this.tick();
    this.enqueue(this.allKeys());
    this.o.log.info({ keys: this.allKeys().length, sources: [...this.sources.keys()], destinations: [...this.destinations.keys()] }, 'caches synced; reconciling');
  }

  /** After this instance becomes leader: everything may have changed while it stood by. */
  resyncAll(): void {
    this.enqueue(this.allKeys());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    clearInterval(this.resyncTimer);
    await this.queue.shutdown();
    await Promise.all(this.reflectors().map(({ r }) => r.stop()));
  }

  private unhealthySince(cluster: string): number | undefined {
    const times = this.reflectors().filter((x) => x.cluster === cluster).map(({ r }) => r.unhealthySince);
    const defined = times.filter((t): t is number => t !== undefined);
    return defined.length ? Math.min(...defined) : undefined;
  }

  /** Staleness transitions, and the per-cluster gauges. */
  private tick(): void {
    const now = Date.now();
    for (const [cluster, s] of this.sources) {
      const stale = isStale(this.unhealthySince(cluster), s.config.staleAfterMs, now);
      if (stale !== s.stale) {
        s.stale = stale;
        this.o.log.warn({ cluster, stale, policy: s.config.stalePolicy }, stale ? 'source cluster is stale' : 'source cluster is back');
        const keys = new Set<string>([...s.services.flatMap((r) => [...r.store.keys()]), ...s.index.byService.keys()]);
        this.enqueue([...keys]);
      }
    }
    const m = this.o.metrics;
    if (!m) return;
    for (const h of this.health()) {
      m.clusterConnected.set({ cluster: h.cluster }, h.connected ? 1 : 0);
      m.clusterSynced.set({ cluster: h.cluster }, h.synced ? 1 : 0);
      m.clusterStale.set({ cluster: h.cluster }, h.stale ? 1 : 0);
      if (h.lastSeen) m.clusterLastSeen.set({ cluster: h.cluster }, Date.parse(h.lastSeen) / 1000);
    }
    for (const [cluster, d] of this.destinations) {
      m.managedObjects.set({ cluster, kind: 'Service' }, d.services.store.size);
      m.managedObjects.set({ cluster, kind: 'EndpointSlice' }, d.slices.store.size);
    }
    m.queueDepth.set(this.queue.length);
  }

  health(): ClusterHealth[] {
    return this.o.config.clusters.map((c) => {
      const rs = this.reflectors().filter((x) => x.cluster === c.name).map((x) => x.r);
      const since = this.unhealthySince(c.name);
      const lastSeen = Math.max(0, ...rs.map((r) => r.lastSeen ?? 0));
      const errors = rs.map((r) => r.stats).filter((s) => s.lastErrorAt).sort((a, b) => b.lastErrorAt! - a.lastErrorAt!);
      return {
        cluster: c.name,
        connected: rs.every((r) => r.connected),
        synced: rs.every((r) => r.synced),
        stale: this.sources.get(c.name)?.stale ?? false,
        ...(since ? { unhealthySince: new Date(since).toISOString() } : {}),
        ...(lastSeen ? { lastSeen: new Date(lastSeen).toISOString() } : {}),
        ...(errors[0]?.lastError ? { lastError: errors[0].lastError } : {}),
      };
    });
  }

  private sourceSnapshots(key: string): SourceSnapshot[] {
    const out: SourceSnapshot[] = [];
    for (const [cluster, s] of this.sources) {
      const services = s.services.map((r) => r.store.get(key)).filter((x): x is Service => x !== undefined);
      const slices = new Map([[key, s.index.get(key)]]);
      out.push(staleView({ cluster, services, slices }, s.config.stalePolicy, s.stale));
    }
    return out;
  }

  private async destinationSnapshot(d: DestinationSide, key: string, targeted: boolean): Promise<DestinationSnapshot> {
    const [ns, name] = key.split('/') as [string, string];
    let service = d.services.store.get(key);
    if (!service && targeted) {
      // The owned-only watch cannot see a Service mcsync does not own; ask before creating one.
      service = await this.o.clusters.get(d.cluster)!.client.request<Service>('GET', PATHS.service(ns, name)).catch((err: unknown) => {
        if (err instanceof KubeApiError && err.status === 404) return undefined;
        throw err;
      });
    }
    return {
      cluster: d.cluster,
      namespaces: d.namespaces.store.has(ns) ? new Set([ns]) : new Set(),
      services: service ? [service] : [],
      ownedSlices: d.index.get(key),
    };
  }

  /** Our own writes, taken into the destination's caches without waiting for their watch events. */
  private remember(d: DestinationSide, r: WriteResult): void {
    if (r.action.verb === 'delete') {
      if (r.outcome === 'failed') return;
      const ref = r.action.ref;
      const key = `${ref.namespace}/${ref.name}`;
      if (ref.kind === 'Service') d.services.forget(key);
      if (ref.kind === 'EndpointSlice') d.slices.forget(key);
      return;
    }
    if (!r.object || !isOwned(r.object.metadata, this.o.config.instance)) return;
    if (r.action.ref.kind === 'Service') d.services.remember(r.object as Service);
    if (r.action.ref.kind === 'EndpointSlice') d.slices.remember(r.object as EndpointSlice);
  }

  private async reconcile(key: string): Promise<void> {
    if (!this.isLeader) return;
    const { config, log, metrics } = this.o;
    const pending = this.pending.get(key);
    this.pending.delete(key);
    const { exports } = selectExports(config, this.sourceSnapshots(key));
    const failures: string[] = [];
    await Promise.all([...this.destinations.values()].map(async (d) => {
      const targeted = exports.some((e) => e.sourceCluster !== d.cluster && e.destinations.includes(d.cluster));
      if (!targeted && !d.services.store.has(key) && !d.index.byService.has(key)) return;
      let actions: Action[];
      try {
        const snapshot = await this.destinationSnapshot(d, key, targeted);
        const plan = planDestination(config, snapshot, exports);
        actions = plan.actions;
        const conflictText = plan.conflicts.map((c) => c.message).join('; ');
        if (conflictText !== (this.reportedConflicts.get(`${d.cluster}|${key}`) ?? '')) {
          if (conflictText) log.warn({ cluster: d.cluster, key, conflicts: plan.conflicts }, 'conflict');
          this.reportedConflicts.set(`${d.cluster}|${key}`, conflictText);
        }
      } catch (err) {
        failures.push(`${d.cluster}: ${(err as Error).message}`);
        return;
      }
      if (actions.length === 0) return;
      const client = this.o.clusters.get(d.cluster)!.client;
      const results = await applyActions(client, actions, {
        instance: config.instance,
        concurrency: config.concurrency,
        limiter: d.limiter,
        fieldManager: this.o.fieldManager,
        refuse: () => (this.isLeader && !this.stopped ? undefined : 'not the leader any more; write not sent'),
        onResult: (r) => {
          const kind = r.action.ref.kind;
          this.remember(d, r);
          metrics?.writes.inc({ cluster: d.cluster, verb: r.action.verb, kind, result: r.outcome });
          const fields = { cluster: d.cluster, key, verb: r.action.verb, kind, reason: r.action.reason, outcome: r.outcome };
          if (r.outcome === 'failed') log.error({ ...fields, error: r.detail }, 'write failed');
          else log.info(fields, 'replica changed');
        },
      });
      const failed = results.filter((r) => r.outcome === 'failed');
      if (failed.length) failures.push(`${d.cluster}: ${failed[0]!.detail}`);
      else if (pending) metrics?.propagation.observe({ source: pending.source, destination: d.cluster }, (performance.now() - pending.at) / 1000);
    }));
    log.debug({ key, exports: exports.length, failures: failures.length }, 'reconciled');
    if (failures.length) {
      if (pending && !this.pending.has(key)) this.pending.set(key, pending);
      throw new Error(`reconcile ${key}: ${failures.join('; ')}`);
    }
  }
}
