// Whether `mcsync run` is alive in the sense a liveness probe acts on: would restarting the
// process help? Only a loop that stopped running is a yes. An unreachable cluster is not: its
// reflectors keep failing and retrying, which is an availability state (connected, stale) that
// a restart cannot fix and staleness already handles. Plain data in, a verdict out, so every
// bound is unit-tested without a server; the signals come from the reflectors, the work queues
// and the leader elector as they run.
import type { Config } from '../config/types.ts';
import { reflectorQuietLimitMs } from '../kube/reflector.ts';

/**
 * How long one queue item may run before its worker counts as stuck. Every request of a
 * reconcile gives up after 10 s (a destination's) or 30 s and a write is tried at most six
 * times, so a reconcile that keeps going this long is one that no longer makes requests.
 */
export const DEFAULT_WORKER_STUCK_MS = 10 * 60_000;

export interface LivenessSignals {
  /** Every reflector of the running controller: when its loop last showed it was running (ms since epoch). */
  reflectors: readonly { cluster: string; path: string; lastProgressAt: number }[];
  /** Per work queue, the item running longest. */
  workers: readonly { queue: string; key: string; forMs: number }[];
  /** With leader election: whether it believes it leads, and its last successful renew (ms since epoch). */
  lease?: { leading: boolean; lastRenewAt: number; leaseDurationMs: number };
}

export interface LivenessBounds {
  reflectorQuietMs: number;
  workerStuckMs: number;
}

export interface LivenessVerdict {
  ok: boolean;
  /** One sentence per failing loop; empty when ok. */
  problems: string[];
}

export function livenessBounds(config: Config, workerStuckMs: number = DEFAULT_WORKER_STUCK_MS): LivenessBounds {
  return { reflectorQuietMs: reflectorQuietLimitMs(config.controller.watchTimeoutSeconds), workerStuckMs };
}

const secs = (ms: number) => `${Math.round(ms / 1000)}s`;

export function judgeLiveness(s: LivenessSignals, now: number, b: LivenessBounds): LivenessVerdict {
  const problems: string[] = [];
  for (const r of s.reflectors) {
    const quiet = now - r.lastProgressAt;
    if (quiet > b.reflectorQuietMs) problems.push(`watch of ${r.path} on ${r.cluster} neither received nor reported an error for ${secs(quiet)} (limit ${secs(b.reflectorQuietMs)})`);
  }
  for (const w of s.workers) {
    if (w.forMs > b.workerStuckMs) problems.push(`worker of queue ${w.queue} stuck on ${w.key} for ${secs(w.forMs)} (limit ${secs(b.workerStuckMs)})`);
  }
  // Past the lease duration others may take the Lease over; a process that still believes it
  // leads then has a renew loop (and its deadline timer) that stopped.
  const l = s.lease;
  if (l?.leading && now - l.lastRenewAt > l.leaseDurationMs) {
    problems.push(`leads without a successful renew for ${secs(now - l.lastRenewAt)} (lease duration ${secs(l.leaseDurationMs)})`);
  }
  return { ok: problems.length === 0, problems };
}
