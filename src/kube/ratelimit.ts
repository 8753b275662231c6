// A token bucket per destination cluster, so a churn storm in one source turns into a steady
// trickle of writes rather than a flood against another cluster's apiserver.
//
// `qps: Infinity` disables limiting. Zero is rejected rather than read as "unlimited": a
// limit of zero looks like "no writes" as much as "no limit", and guessing wrong either
// stalls a destination or floods it.
import { sleep } from './sleep.ts';

export interface TokenBucketOptions {
  /** Sustained rate in tokens per second; Infinity for no limit. */
  qps: number;
  /** Tokens available at once, and the cap on what idle time accumulates. */
  burst: number;
  /** Milliseconds, monotonic. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

// Refill arithmetic in floating point can leave 0.9999999 of a token; that is a whole one.
const EPSILON = 1e-9;

export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens: number;
  #last: number;
  readonly #waiters: (() => void)[] = [];
  #draining = false;

  constructor(options: TokenBucketOptions) {
    const { qps, burst } = options;
    if (!(qps > 0)) throw new RangeError(`qps must be positive or Infinity, got ${qps}`);
    if (qps !== Infinity && !(Number.isFinite(burst) && burst >= 1)) {
      throw new RangeError(`burst must be at least 1, got ${burst}`);
    }
    this.#qps = qps;
    this.#burst = burst;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? sleep;
    this.#tokens = burst;
    this.#last = this.#now();
  }

  /** Takes a token if one is free now. Never jumps ahead of callers already waiting in take(). */
  tryTake(): boolean {
    if (this.#qps === Infinity) return true;
    if (this.#waiters.length > 0) return false;
    this.#refill();
    if (this.#tokens < 1 - EPSILON) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /** Resolves when a token is taken; waiters are served in the order they called. */
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (!this.#draining) void this.#drain();
    });
  }

  // One loop serves every waiter in turn, which is what makes the order FIFO: parallel sleeps
  // would hand out tokens in whatever order the timers happen to fire.
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#waiters.length > 0) {
        this.#refill();
        if (this.#tokens >= 1 - EPSILON) {
          this.#tokens = Math.max(0, this.#tokens - 1);
          this.#waiters.shift()!();
          continue;
        }
        await this.#sleep(((1 - this.#tokens) * 1000) / this.#qps);
      }
    } finally {
      this.#draining = false;
    }
  }

  #refill(): void {
    const t = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((t - this.#last) * this.#qps) / 1000);
    this.#last = t;
  }
}
