// The controller's work queues: one per destination, each with its own workers, so an item is
// one key in one destination. A destination that stops answering fills only its own queue;
// the same key keeps flowing to every other destination at its normal pace.
import { WorkQueue, type WorkQueueOptions } from '../queue.ts';
import { isPolicyKey, splitPolicyKey } from './policy-keys.ts';

/** Reconciles one queue key (a Service key, or one of this cluster's policy keys) in `cluster`. */
export type DestinationWorker = (cluster: string, key: string) => Promise<void>;

export class DestinationQueues {
  readonly #queues = new Map<string, WorkQueue>();

  constructor(destinations: Iterable<string>, options: WorkQueueOptions) {
    for (const d of destinations) this.#queues.set(d, new WorkQueue(options));
  }

  get destinations(): IterableIterator<string> {
    return this.#queues.keys();
  }

  /** Items waiting to start, over every destination. */
  get length(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  /** Service keys concern every destination; a policy key only its own cluster. */
  add(keys: readonly string[]): void {
    for (const k of keys) {
      if (isPolicyKey(k)) this.#queues.get(splitPolicyKey(k).cluster)?.add(k);
      else for (const q of this.#queues.values()) q.add(k);
    }
  }

  /** Keys that changed in one destination only (its own objects, our writes there). */
  addIn(cluster: string, keys: readonly string[]): void {
    const q = this.#queues.get(cluster);
    if (q) for (const k of keys) q.add(k);
  }

  /** `concurrency` workers per destination: a hung one cannot occupy the others'. */
  start(worker: DestinationWorker, concurrency: number): void {
    for (const [cluster, q] of this.#queues) q.start((key) => worker(cluster, key), concurrency);
  }

  shutdown(): Promise<void> {
    return Promise.all([...this.#queues.values()].map((q) => q.shutdown())).then(() => undefined);
  }
}
