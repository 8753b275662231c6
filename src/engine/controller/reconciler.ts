// Reconciles one Service key in one destination, level-based: whatever events led here, it
// reads the current state of that key from the caches and makes the destination match it, so
// a missed, duplicated or reordered event costs nothing but the run itself. It owns no caches,
// no queue and no timers; a failure throws, and the queue that called it retries with backoff.
import type { Locality } from './locality.ts';
import type { Logger } from 'pino';
import type { Config } from '../../config/types.ts';
import { splitServiceKey, type ServiceKey } from '../../vocab/keys.ts';
import type { EndpointSlice, Service } from '../../vocab/objects.ts';
import { planDestination } from '../../model/plan.ts';
import { writtenAsPlanned } from '../../model/projection.ts';
import { selectExports, stalePolicyOf } from '../../model/select.ts';
import { staleView } from '../../model/stale.ts';
import type { Action, DestinationSnapshot, Export, SourceSnapshot } from '../../model/types.ts';
import type { Conflict } from '../../model/conflicts.ts';
import { KubeApiError } from '../../kube/client.ts';
import { PATHS } from '../../kube/read.ts';
import type { CacheStore, Listed } from '../../kube/store.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { RejectionTally } from '../rejection-tally.ts';
import { destinationItem } from './destination-items.ts';
import { ProblemLog } from './problem-log.ts';
import { PendingPropagations } from './propagation.ts';
import { serviceEventKeys, sliceEventKeys, type DestinationCaches, type SourceCaches } from './topology.ts';
import type { ClusterWriter, Written } from './writer.ts';

/** What the last reconcile of a key did in one destination. */
export interface DestinationOutcome {
  ok: boolean;
  /** Why the destination could not be brought in line, when not ok. */
  error?: string;
  /** ms since epoch. */
  at: number;
}

/** The last propagation of a key from one source to one destination. */
export interface LastPropagation {
  seconds: number;
  /** ms since epoch, when the write was acknowledged. */
  at: number;
}

export type ReconcileLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface ReconcilerOptions {
  config: Config;
  /** Where clusters are, for locality tiers, and where the tier in use is recorded; without it tiers are inactive. */
  locality?: Locality;
  /** In config order. */
  sources: ReadonlyMap<string, SourceCaches>;
  destinations: ReadonlyMap<string, DestinationCaches>;
  /** One per destination: its write budget, leader check and reply take-in, shared with the other capabilities. */
  writers: ReadonlyMap<string, ClusterWriter>;
  log: ReconcileLog;
  /** Whether a source's cached view is too old to trust; its stale policy then applies. Default never. */
  isStale?: (cluster: string) => boolean;
  /** Reconciles happen only while this says so (leader election); default always. */
  isLeader?: () => boolean;
  metrics?: Pick<ControllerMetricsSink, 'propagation' | 'rejectedEndpoints'>;
  propagation?: PendingPropagations;
  /** Where standing conflicts are reported once; default one of its own. */
  problems?: ProblemLog<string>;
  /** Service keys our own writes changed in a destination's caches, as their watch events would have. */
  onOwnWrite?: (cluster: string, keys: ServiceKey[]) => void;
  /** Where rejections are tallied; shared with the MCS reconciler, since both set the one gauge. Default: one of its own. */
  rejections?: RejectionTally;
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #rejections: RejectionTally;
  readonly #propagation: PendingPropagations;
  /** Standing conflicts, logged once per destination and key. */
  readonly #problems: ProblemLog<string>;
  /** destination|key → the conflicts its last plan found; a key with none has no entry. */
  readonly #conflicts = new Map<string, Conflict[]>();
  /** destination|key → what its last reconcile there did; kept for the status page. */
  readonly #outcomes = new Map<string, DestinationOutcome>();
  /** destination|key → source → its last propagation there. */
  readonly #latencies = new Map<string, Map<string, LastPropagation>>();

  constructor(opts: ReconcilerOptions) {
    this.#o = opts;
    this.#rejections = opts.rejections ?? new RejectionTally(opts.metrics?.rejectedEndpoints, opts.log);
    this.#propagation = opts.propagation ?? new PendingPropagations();
    this.#problems = opts.problems ?? new ProblemLog({ isLeader: () => this.#isLeader });
  }

  /** The fleet changed while running: plan with its export rules from now on. */
  configure(config: Config): void {
    this.#o.config = config;
  }

  /** The conflicts the last reconcile of each key found, per destination. */
  conflicts(): Conflict[] {
    return [...this.#conflicts.values()].flat();
  }

  /** The conflicts the last plan of `key` found in `destination`. */
  conflictsOf(destination: string, key: ServiceKey): readonly Conflict[] {
    return this.#conflicts.get(`${destination}|${key}`) ?? [];
  }

  /** What the last reconcile of `key` did in `destination`; none before the first, or once nothing of it belongs there. */
  lastOutcome(destination: string, key: ServiceKey): DestinationOutcome | undefined {
    return this.#outcomes.get(`${destination}|${key}`);
  }

  /** How long the last change of `key` from `source` took to be written in `destination`. */
  lastPropagation(source: string, destination: string, key: ServiceKey): LastPropagation | undefined {
    return this.#latencies.get(`${destination}|${key}`)?.get(source);
  }

  get #isLeader(): boolean {
    return this.#o.isLeader?.() ?? true;
  }

  /**
   * One work item: `key` in one destination, on its own. The source side is recomputed from
   * the caches (cheap), so a destination that hangs holds up only its own items, never the
   * same key's writes to the others.
   */
  async reconcileIn(destination: string, key: ServiceKey): Promise<void> {
    const failure = await this.#reconcileItem(destination, key);
    if (failure !== undefined) throw new Error(`reconcile ${key}: ${destination}: ${failure}`);
  }

  /** Why `key` could not be brought in line in `destination`, or nothing when it was. */
  async #reconcileItem(destination: string, key: ServiceKey): Promise<string | undefined> {
    if (!this.#isLeader) return undefined;
    const d = this.#o.destinations.get(destination);
    const writer = this.#o.writers.get(destination);
    if (!d || !writer) throw new Error(`${destination} is not a destination`);
    const item = destinationItem(destination, key);
    const pending = this.#propagation.take(item);
    // 1. What the sources export under this key, from their caches, stale policy applied.
    const { exports, rejected } = selectExports(this.#o.config, this.#sourceSnapshots(key));
    this.#rejections.record(key, rejected);
    // 2. Plan, write, take in the writes.
    const outcome = await this.#reconcileDestination(d, writer, key, exports);
    const at = Date.now();
    if (!outcome.idle) this.#outcomes.set(`${d.cluster}|${key}`, outcome.failure === undefined ? { ok: true, at } : { ok: false, error: outcome.failure, at });
    this.#o.log.debug({ key, destination, exports: exports.length, failed: outcome.failure !== undefined }, 'reconciled');
    if (outcome.failure !== undefined) {
      if (pending) this.#propagation.restore(item, pending);
      return outcome.failure;
    }
    // 3. Written to this destination: the change propagated, timed from when it was seen.
    if (outcome.wrote && pending) {
      const seconds = this.#propagation.secondsSince(pending);
      this.#o.metrics?.propagation.observe({ source: pending.source, destination: d.cluster }, seconds);
      this.#rememberLatency(d.cluster, key, pending.source, { seconds, at });
    }
    return undefined;
  }

  #sourceSnapshots(key: ServiceKey): SourceSnapshot[] {
    const out: SourceSnapshot[] = [];
    for (const [cluster, s] of this.#o.sources) {
      const services = s.services.map((st) => st.get(key)).filter((x): x is Service => x !== undefined);
      const slices = new Map([[key, s.slices.flatMap((st) => st.indexed(key))]]);
      const snapshot: SourceSnapshot = { cluster, services, slices };
      // What its Nodes declare, as `sync` reads them; the config's podCIDRs win in selectExports.
      const podCidrs = s.nodes?.cidrs;
      if (podCidrs) snapshot.podCidrs = podCidrs;
      out.push(staleView(snapshot, (svc) => stalePolicyOf(s.config, svc), this.#o.isStale?.(cluster) ?? false));
    }
    return out;
  }

  #rememberLatency(destination: string, key: ServiceKey, source: string, p: LastPropagation): void {
    const k = `${destination}|${key}`;
    const bySource = this.#latencies.get(k) ?? new Map<string, LastPropagation>();
    bySource.set(source, p);
    this.#latencies.set(k, bySource);
  }

  /**
   * Whether anything was written, or why the destination could not be brought in line; idle
   * when nothing of the key belongs in the destination or is there.
   */
  async #reconcileDestination(d: DestinationCaches, writer: ClusterWriter, key: ServiceKey, exports: Export[]): Promise<{ wrote: boolean; failure?: string; idle?: true }> {
    const { config, log } = this.#o;
    const targeted = exports.some((e) => e.sourceCluster !== d.cluster && e.destinations.includes(d.cluster));
    if (!targeted && !d.services.has(key) && !d.slices.hasIndexed(key)) {
      // Nothing of it here any more: what was kept about it would only grow.
      for (const m of [this.#conflicts, this.#outcomes, this.#latencies]) m.delete(`${d.cluster}|${key}`);
      this.#problems.forget(`${d.cluster}|${key}`);
      return { wrote: false, idle: true };
    }
    let actions: Action[];
    try {
      const snapshot = await this.#destinationSnapshot(d, writer, key, targeted);
      const locality = this.#o.locality;
      const plan = planDestination(config, snapshot, exports, locality ? { locality: locality.view } : {});
      actions = plan.actions;
      await locality?.tracker.record('replicas', key, [d.cluster], plan.locality ?? [], (s) => ({ apiVersion: 'v1', kind: 'Service', namespace: s.namespace, name: s.name }));
      const reported = `${d.cluster}|${key}`;
      await this.#problems.report(reported, plan.conflicts.map((c) => c.message).join('; '), {
        log: () => log.warn({ cluster: d.cluster, key, conflicts: plan.conflicts }, 'conflict'),
      });
      if (plan.conflicts.length > 0) this.#conflicts.set(reported, plan.conflicts);
      else this.#conflicts.delete(reported);
    } catch (err) {
      return { wrote: false, failure: (err as Error).message };
    }
    if (actions.length === 0) return { wrote: false };
    const results = await writer.apply('replicas', key, actions, (kind) => storeOf(d, kind), 'replica changed');
    const mine = results.flatMap((r) => this.#ownWriteKeys(r));
    // Queued as the watch events of those writes would have been; they will not be, being no newer.
    if (mine.length) this.#o.onOwnWrite?.(d.cluster, [...new Set(mine)]);
    const failed = results.find((r) => r.outcome === 'failed');
    return failed ? { wrote: true, failure: `${failed.detail}` } : { wrote: true };
  }

  async #destinationSnapshot(d: DestinationCaches, writer: ClusterWriter, key: ServiceKey, targeted: boolean): Promise<DestinationSnapshot> {
    const { namespace, name } = splitServiceKey(key);
    let service = d.services.get(key);
    if (!service && targeted) {
      // The owned-only watch cannot see a Service mcsync does not own; ask before creating one.
      service = await writer.client.request<Service>('GET', PATHS.service(namespace, name)).catch((err: unknown) => {
        if (err instanceof KubeApiError && err.status === 404) return undefined;
        throw err;
      });
    }
    return {
      cluster: d.cluster,
      namespaces: d.namespaces.has(namespace) ? new Set([namespace]) : new Set(),
      services: service ? [service] : [],
      ownedSlices: d.slices.indexed(key),
    };
  }

  /**
   * The keys our own write changed in the destination's caches, when the key must be planned
   * again: a write the server took as planned needs no second reconcile (that is half the
   * reconciles under churn); anything else (skipped as already done, or answered with another
   * object) does. The writer has already taken the reply into the caches (writer.ts).
   */
  #ownWriteKeys(r: Written): ServiceKey[] {
    const kind = r.action.ref.kind;
    if (!r.change || kind === 'Namespace') return [];
    if (r.outcome === 'done' && (r.action.verb === 'delete' || (r.object && writtenAsPlanned(kind, r.action.object, r.object)))) return [];
    return kind === 'Service' ? serviceEventKeys(r.change) : sliceEventKeys(r.change);
  }
}

/** Where the reply to a replica write goes: the destination's caches of what this instance owns. */
function storeOf(d: DestinationCaches, kind: string): CacheStore<Listed> | undefined {
  switch (kind) {
    case 'Namespace': return d.namespaces;
    case 'Service': return d.services;
    case 'EndpointSlice': return d.slices;
    default: return undefined;
  }
}
