// The controller's work queues: one per destination, each with its own workers, so an item is
// one key in one destination. A destination that stops answering fills only its own queue;
// the same key keeps flowing to every other destination at its normal pace. Keys whose one
// reconcile writes to every cluster at once (Multi-Cluster Services, "mcs:…") cannot be split
// that way; they have a queue of their own, so they neither wait behind a destination's items
// nor hold them up.
import { WorkQueue, type WorkQueueOptions } from '../queue.ts';
import { isMcsKey } from './mcs-topology.ts';
import { isPolicyKey, splitPolicyKey } from './policy-keys.ts';

export interface DestinationWorkers {
  /** Reconciles one queue key (a Service key, or one of this cluster's policy keys) in `cluster`. */
  inDestination: (cluster: string, key: string) => Promise<void>;
  /** Reconciles a key that spans every cluster. */
  spanning: (key: string) => Promise<void>;
}

export class DestinationQueues {
  readonly #queues = new Map<string, WorkQueue>();
  readonly #spanning: WorkQueue;

  constructor(destinations: Iterable<string>, options: WorkQueueOptions) {
    for (const d of destinations) this.#queues.set(d, new WorkQueue(options));
    this.#spanning = new WorkQueue(options);
  }

  get destinations(): IterableIterator<string> {
    return this.#queues.keys();
  }

  /** Items waiting to start, over every queue. */
  get length(): number {
    let n = this.#spanning.length;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  /** Per queue (a destination, or "(spanning)" for the keys that span every cluster), the item running longest: what a liveness check reads. */
  oldestInFlight(): { queue: string; key: string; forMs: number }[] {
    const out: { queue: string; key: string; forMs: number }[] = [];
    for (const [queue, q] of [...this.#queues, ['(spanning)', this.#spanning] as const]) {
      const o = q.oldestInFlight();
      if (o) out.push({ queue, ...o });
    }
    return out;
  }

  /** Service keys concern every destination; a policy key only its own cluster; an MCS key the spanning queue. */
  add(keys: readonly string[]): void {
    for (const k of keys) {
      if (isPolicyKey(k)) this.#queues.get(splitPolicyKey(k).cluster)?.add(k);
      else if (isMcsKey(k)) this.#spanning.add(k);
      else for (const q of this.#queues.values()) q.add(k);
    }
  }

  /** Keys that changed in one destination only (its own objects, our writes there). */
  addIn(cluster: string, keys: readonly string[]): void {
    const q = this.#queues.get(cluster);
    if (q) for (const k of keys) q.add(k);
  }

  /** `concurrency` workers per destination, and as many for the spanning keys: a hung destination cannot occupy the others'. */
  start(workers: DestinationWorkers, concurrency: number): void {
    for (const [cluster, q] of this.#queues) q.start((key) => workers.inDestination(cluster, key), concurrency);
    this.#spanning.start(workers.spanning, concurrency);
  }

  shutdown(): Promise<void> {
    return Promise.all([this.#spanning, ...this.#queues.values()].map((q) => q.shutdown())).then(() => undefined);
  }
}
