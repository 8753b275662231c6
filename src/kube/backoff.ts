// How long to wait before trying again, in one place. Every retry loop in mcsync doubles a base
// delay up to a ceiling and spreads the result with jitter, so that many watchers, writers or
// contenders that failed together do not all come back in the same instant.
//
// A jitter is the range the delay is drawn from, as factors of the exponential step: [0.5, 1]
// means "at least half the step, at most all of it".

/** Factors of the step that a delay is drawn from, uniformly. */
export type Jitter = readonly [low: number, high: number];

export interface BackoffPolicy {
  baseMs: number;
  /** Ceiling, applied after the jitter, so it is a real upper bound. */
  maxMs: number;
  jitter: Jitter;
}

/** Half fixed, half random: a retry never comes sooner than half its step. */
export const EQUAL_JITTER: Jitter = [0.5, 1];
/** ±20% around the step: the work queue retries close to its schedule, just not in lockstep. */
export const QUEUE_JITTER: Jitter = [0.8, 1.2];
/**
 * client-go's wait.JitterUntil with jitterFactor 1.2, which its leader election uses for
 * contenders: between one and 2.2 retry periods, never sooner than the period.
 */
export const LEASE_RETRY_JITTER: Jitter = [1, 2.2];

/** A watch that keeps failing: from half a second up to 30 s between attempts. */
export const REFLECTOR_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000, jitter: EQUAL_JITTER };
/**
 * A write refused by throttling, a 5xx or a lost connection. No ceiling: the number of attempts
 * (six by default) bounds the wait instead, and the server's Retry-After wins when longer.
 */
export const WRITE_RETRY_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: Infinity, jitter: EQUAL_JITTER };
/** A work queue's failed key, when the queue is not told otherwise. */
export const QUEUE_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 30_000, jitter: QUEUE_JITTER };
/** A controller key whose reconcile failed: a reconcile is several requests, so it starts slower. */
export const RECONCILE_RETRY_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 30_000, jitter: QUEUE_JITTER };

/** `ms` spread over its jitter range; `random` returns a number in [0, 1). */
export function jittered(ms: number, jitter: Jitter, random: () => number = Math.random): number {
  const [low, high] = jitter;
  return ms * (low + (high - low) * random());
}

/** The delay before retry number `attempt` + 1, where `attempt` counts earlier failures (0 for the first retry). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.baseMs * 2 ** attempt, policy.maxMs);
  return Math.min(policy.maxMs, jittered(step, policy.jitter, random));
}
