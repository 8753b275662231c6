// A work queue of Service keys with client-go's workqueue guarantees, for the controller mode:
// a burst of events for one key becomes one reconcile, a key is never reconciled twice at once,
// and a failing key backs off on its own without slowing the others.
//
// A key is in at most one of three places: queued (waiting to start), in flight, or in flight
// and dirty (changed while running, so it runs once more afterwards). Delayed adds wait in
// timers and join the queue through add(), so they coalesce like any other event.
import { QUEUE_BACKOFF, backoffDelay, type BackoffPolicy } from '../kube/backoff.ts';

export interface QueueDoneInfo {
  /** From the first add that queued this run to the moment the worker started. */
  waitMs: number;
  runMs: number;
  ok: boolean;
}

export interface WorkQueueOptions<K extends string = string> {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** In [0, 1); 0.5 means no jitter. Injectable so tests can pin the backoff. */
  random?: () => number;
  /** Milliseconds, monotonic. */
  now?: () => number;
  onDone?: (key: K, info: QueueDoneInfo) => void;
}

export type Worker<K extends string = string> = (key: K) => Promise<void>;

/** Keys are typed by whoever owns the queue (a capability's own key type); the queue only compares them. */
export class WorkQueue<K extends string = string> {
  readonly #backoffPolicy: BackoffPolicy;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #onDone: ((key: K, info: QueueDoneInfo) => void) | undefined;

  // FIFO of keys waiting to start; the Map keeps insertion order and the first enqueue time.
  readonly #queued = new Map<K, number>();
  // Keys being run, with when their run started: how a liveness check sees a stuck worker.
  readonly #inFlight = new Map<K, number>();
  // Keys added while in flight, with the time of the first such add.
  readonly #dirty = new Map<K, number>();
  // One timer per key: a later addAfter never postpones an earlier one, so repeated
  // addAfter(key, window) batches a burst into one run at the first deadline.
  readonly #delayed = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<K, number>();

  #worker: Worker<K> | undefined;
  #concurrency = 0;
  #pumpScheduled: NodeJS.Immediate | undefined;
  #closed = false;
  readonly #idle: (() => void)[] = [];

  constructor(options: WorkQueueOptions<K> = {}) {
    this.#backoffPolicy = {
      ...QUEUE_BACKOFF,
      baseMs: options.baseDelayMs ?? QUEUE_BACKOFF.baseMs,
      maxMs: options.maxDelayMs ?? QUEUE_BACKOFF.maxMs,
    };
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
    this.#onDone = options.onDone;
  }

  /** Keys waiting to start (not counting in-flight or delayed keys). */
  get length(): number {
    return this.#queued.size;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The key that has been running longest, and for how long; undefined when nothing runs. */
  oldestInFlight(): { key: K; forMs: number } | undefined {
    // Runs start in insertion order, so the first entry is the oldest.
    for (const [key, started] of this.#inFlight) return { key, forMs: this.#now() - started };
    return undefined;
  }

  /** Consecutive failed runs of this key since its last success. */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Ignored after shutdown: watch handlers may still fire while the controller stops. */
  add(key: K): void {
    if (this.#closed || this.#queued.has(key)) return;
    if (this.#inFlight.has(key)) {
      if (!this.#dirty.has(key)) this.#dirty.set(key, this.#now());
      return;
    }
    this.#queued.set(key, this.#now());
    this.#schedulePump();
  }

  addAfter(key: K, ms: number): void {
    if (this.#closed) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#now() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    // A pending retry must not keep the process alive on its own.
    timer.unref();
    this.#delayed.set(key, { at, timer });
  }

  start(worker: Worker<K>, concurrency: number): void {
    if (this.#worker) throw new Error('WorkQueue already started');
    if (this.#closed) throw new Error('WorkQueue is shut down');
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    this.#worker = worker;
    this.#concurrency = concurrency;
    this.#schedulePump();
  }

  /**
   * Stops taking work: later adds are ignored, delayed adds are cancelled, and keys still
   * queued are dropped rather than run — the controller rebuilds its state from a fresh list
   * when it starts again, so finishing them would only delay the stop. Resolves once the
   * workers already running have finished.
   */
  shutdown(): Promise<void> {
    this.#closed = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    if (this.#pumpScheduled) clearImmediate(this.#pumpScheduled);
    this.#pumpScheduled = undefined;
    this.#queued.clear();
    this.#dirty.clear();
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  // Starting workers on a later turn rather than inside add() lets every event delivered in the
  // same turn (one watch chunk often carries several slices of a Service) coalesce first, and
  // keeps worker code out of the caller's stack.
  #schedulePump(): void {
    if (this.#pumpScheduled || !this.#worker || this.#closed) return;
    this.#pumpScheduled = setImmediate(() => {
      this.#pumpScheduled = undefined;
      this.#pump();
    });
  }

  #pump(): void {
    for (const [key, queuedAt] of this.#queued) {
      if (this.#closed || this.#inFlight.size >= this.#concurrency) return;
      this.#queued.delete(key);
      void this.#run(key, queuedAt);
    }
  }

  async #run(key: K, queuedAt: number): Promise<void> {
    const worker = this.#worker!;
    const started = this.#now();
    this.#inFlight.set(key, started);
    let ok = true;
    try {
      await worker(key);
    } catch {
      // The worker reports its own errors; the queue's part is only to retry.
      ok = false;
    }
    const runMs = this.#now() - started;
    this.#inFlight.delete(key);

    const dirtyAt = this.#dirty.get(key);
    this.#dirty.delete(key);
    if (ok) {
      this.#failures.delete(key);
      if (dirtyAt !== undefined && !this.#closed) this.#queued.set(key, dirtyAt);
    } else {
      // The retry also covers any change made during the run (the worker reads current state),
      // so a key that keeps failing under a churn storm still waits out its backoff.
      const n = this.failures(key) + 1;
      this.#failures.set(key, n);
      this.addAfter(key, this.#backoff(n));
    }

    try {
      this.#onDone?.(key, { waitMs: started - queuedAt, runMs, ok });
    } catch {
      // A broken metrics hook must not stall reconciliation.
    }

    if (this.#closed) {
      if (this.#inFlight.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    this.#pump();
  }

  #backoff(failures: number): number {
    return backoffDelay(failures - 1, this.#backoffPolicy, this.#random);
  }
}
