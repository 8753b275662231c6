// What the controller's jobs have in common. A capability (replicas, imports, policies) is one
// feature of `mcsync run`: it declares the collections it reads (through the shared informer
// registry, with its event → key functions as subscribers), the lanes its keys run on, its
// keys for a full resync and for a cluster turning stale, its reconcile, and its status view.
// The manager owns everything shared: informers, queues, leader election, staleness, the
// writers. Adding a capability is one file implementing this, its pure model/ folder, and one
// line in capabilities.ts.
//
// Lanes keep a hung cluster from stalling anyone else: a capability whose reconcile writes to
// one cluster runs one lane per cluster (each its own queue and workers); one whose reconcile
// spans every cluster at once (Multi-Cluster Services) runs a single lane of its own.
import type { Logger } from 'pino';
import type { ClusterConfig, Config } from '../../config/types.ts';
import { WorkQueue, type QueueDoneInfo } from '../queue.ts';
import type { InformerRegistry } from './informers.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import type { NodeRanges } from './node-ranges.ts';
import type { ProblemLog } from './problem-log.ts';
import type { RejectionTally } from '../rejection-tally.ts';
import type { CapabilityName, ClusterWriter } from './writer.ts';
import type { Locality } from './locality.ts';

export type { CapabilityName } from './writer.ts';

/** The one lane of a capability whose every reconcile spans all clusters. */
export const SPANNING = '*';

/** A capability's queues, one per lane; keys are the capability's own type. */
export class Lanes<K extends string> {
  readonly #queues = new Map<string, WorkQueue<K>>();
  readonly #ready: () => boolean;
  readonly #options: { baseDelayMs: number; maxDelayMs: number; onDone?: (info: QueueDoneInfo) => void };
  /** Set by start: a lane added later starts at once with the same workers. */
  #running?: { worker: (lane: string, key: K) => Promise<void>; concurrency: number };

  /** `ready`: keys are taken only once the controller has started (before, events are initial lists). */
  constructor(lanes: Iterable<string>, options: { baseDelayMs: number; maxDelayMs: number; onDone?: (info: QueueDoneInfo) => void }, ready: () => boolean) {
    this.#options = options;
    for (const l of lanes) this.#queues.set(l, this.#queue());
    this.#ready = ready;
  }

  #queue(): WorkQueue<K> {
    const o = this.#options;
    return new WorkQueue<K>({ ...o, onDone: (_k, info) => o.onDone?.(info) });
  }

  /** A lane for a cluster that joined while running; started if the others are. No-op if it exists. */
  addLane(lane: string): void {
    if (this.#queues.has(lane)) return;
    const q = this.#queue();
    this.#queues.set(lane, q);
    if (this.#running) q.start((key) => this.#running!.worker(lane, key), this.#running.concurrency);
  }

  /** A cluster left: its lane stops taking keys, and its items in flight finish. */
  async removeLane(lane: string): Promise<void> {
    const q = this.#queues.get(lane);
    if (!q) return;
    this.#queues.delete(lane);
    await q.shutdown();
  }

  get names(): IterableIterator<string> {
    return this.#queues.keys();
  }

  has(lane: string): boolean {
    return this.#queues.has(lane);
  }

  /** Items waiting to start, over every lane. */
  get length(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  /** Items running now, over every lane. */
  get inFlight(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.inFlight;
    return n;
  }

  /** Per lane, the item running longest: what a liveness check reads. */
  oldestInFlight(): { lane: string; key: K; forMs: number }[] {
    const out: { lane: string; key: K; forMs: number }[] = [];
    for (const [lane, q] of this.#queues) {
      const o = q.oldestInFlight();
      if (o) out.push({ lane, ...o });
    }
    return out;
  }

  /** Keys that concern every lane. */
  add(keys: Iterable<K>): void {
    if (!this.#ready()) return;
    for (const k of keys) for (const q of this.#queues.values()) q.add(k);
  }

  /** Keys that concern one lane only (a cluster's own objects, our writes there). */
  addIn(lane: string, keys: Iterable<K>): void {
    if (!this.#ready()) return;
    const q = this.#queues.get(lane);
    if (q) for (const k of keys) q.add(k);
  }

  /** `concurrency` workers per lane: a lane whose cluster hangs cannot occupy another's. */
  start(worker: (lane: string, key: K) => Promise<void>, concurrency: number): void {
    this.#running = { worker, concurrency };
    for (const [lane, q] of this.#queues) q.start((key) => worker(lane, key), concurrency);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.shutdown()));
  }
}

/** What the manager hands a capability when it is built. */
export interface CapabilityContext {
  config: Config;
  /** Pull mode: the only cluster written. */
  localCluster?: string;
  log: Logger;
  metrics?: ControllerMetricsSink;
  informers: InformerRegistry;
  /** One per cluster this instance writes to, shared by every capability. */
  writers: ReadonlyMap<string, ClusterWriter>;
  /** The Nodes' pod ranges of each cluster the config gives none for (shared by every capability). */
  nodes: ReadonlyMap<string, NodeRanges>;
  /** The fleet's places for locality tiers, and the tier each importing cluster uses (shared by replicas and imports). */
  locality: Locality;
  /** The endpoint guard's rejections, one tally for every capability (they set one gauge). */
  rejections: RejectionTally;
  isStale(cluster: string): boolean;
  isLeader(): boolean;
  /** True once the initial lists are in: events before that are not changes. */
  started(): boolean;
  /** Creates this capability's queues. */
  lanes<K extends string>(names: Iterable<string>): Lanes<K>;
  problems<K extends string>(): ProblemLog<K>;
  fieldManager?: string;
}

/** A cluster's staleness flipped. */
export interface StaleChange {
  cluster: string;
  stale: boolean;
}

/**
 * How the fleet changes while the controller runs (Manager.join and leave). Every hook gets the
 * config as it stands after the change: the file's and the inventory's clusters, plus the last
 * view of removed clusters that were kept (so the planners still find their export rules).
 */
export interface FleetChanges {
  /**
   * A cluster is joining: declare what this capability reads there (and any read of another
   * cluster it now needs). Its watches start after this and their events may already arrive,
   * but nothing of the cluster is planned until `joined`.
   */
  joining(cluster: ClusterConfig, config: Config): void;
  /** The joining cluster's watches have listed: take it in and queue what concerns it. */
  joined(cluster: string): void;
  /**
   * A cluster left; its watches are stopping. `kept`: its last view stays as a source that is
   * stale for good (its stale policy applies); otherwise it is no source any more and what it
   * sourced is withdrawn. Either way nothing is written to it again; resolves once its lane's
   * work in flight has finished.
   */
  left(cluster: string, kept: boolean, config: Config): Promise<void>;
}

export interface Capability extends FleetChanges {
  readonly name: CapabilityName;
  /** Clusters whose cached view this capability acts on: their staleness is judged. */
  readonly judged: readonly string[];
  /** Starts its lanes' workers. */
  start(concurrency: number): void;
  stop(): Promise<void>;
  /** Items waiting, items running, and per lane the one running longest (for the liveness check). */
  readonly queued: number;
  readonly inFlight: number;
  oldestInFlight(): { lane: string; key: string; forMs: number }[];
  /** Every key any cache holds onto its lanes: after becoming leader, and periodically. */
  resync(): void;
  /** A cluster's staleness flipped: queue what depends on its cached view. */
  staleChanged(change: StaleChange): void;
  /** A cluster's Nodes' pod ranges changed: queue what it exports. */
  rangesChanged(cluster: string): void;
  /** Sets this capability's gauges, once a second. */
  gauges(metrics: ControllerMetricsSink): void;
  /** Its part of /status, under its own field (none: it adds nothing there). */
  status?(): Record<string, unknown>;
}

/** One line of capabilities.ts: whether a config turns it on, and how to build it. */
export interface CapabilityFactory<C extends Capability = Capability> {
  name: CapabilityName;
  enabled(config: Config): boolean;
  create(ctx: CapabilityContext): C;
}

/**
 * What every capability does the same way with its lanes: start their workers on its own
 * reconcile, stop them, and say how much work they hold. A capability extends this and
 * implements the rest.
 */
export abstract class LanedCapability<K extends string> implements Pick<Capability, 'start' | 'stop' | 'queued' | 'inFlight' | 'oldestInFlight'> {
  protected readonly lanes: Lanes<K>;

  constructor(lanes: Lanes<K>) {
    this.lanes = lanes;
  }

  /** One work item: `key` on `lane` (a cluster, or SPANNING). A throw retries it with backoff. */
  protected abstract reconcileOn(lane: string, key: K): Promise<void>;

  start(concurrency: number): void {
    this.lanes.start((lane, key) => this.reconcileOn(lane, key), concurrency);
  }

  stop(): Promise<void> {
    return this.lanes.shutdown();
  }

  get queued(): number {
    return this.lanes.length;
  }

  get inFlight(): number {
    return this.lanes.inFlight;
  }

  oldestInFlight(): { lane: string; key: string; forMs: number }[] {
    return this.lanes.oldestInFlight();
  }
}
