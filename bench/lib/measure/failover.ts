// The failover window and the failback, measured the same way whatever moves the traffic: a
// client dials a Service afresh every few ms while the "near" pods it uses are deleted and later
// come back. Kubernetes alone (a local Service whose near pods go while others stay) and mcsync's
// locality tiers (the importing cluster's own pods go, another cluster's take over) are two
// setups of the one round below, so their figures compare like for like.
import type { DataPlane, RealPod } from '../../../harness/src/dataplane/dataplane.ts';
import type { EchoReply } from '../../../harness/src/dataplane/echo-server.ts';
import { waitFor } from '../../../harness/src/util/wait.ts';

/** One attempt of the watching client: started at `t` (wall clock), ended `ms` later. */
export interface Stamped {
  t: number;
  ms: number;
  reply?: Pick<EchoReply, 'pod' | 'cluster'>;
  error?: string;
}

export interface Failover {
  /** End of the last attempt a near pod answered → end of the first a far pod answered with none failing after it. */
  windowMs: number;
  /** Attempts that failed in that window (they went to a deleted pod's address). */
  failed: number;
}

const end = (a: Stamped) => a.t + a.ms;

/**
 * The failover of one round, once `attempts` show it settled: after the last attempt answered by
 * a near pod, the first answered by a far one from which on, for at least `settleMs`, every
 * attempt was answered by a far pod. Undefined while that is not so yet (no far answer, a failure
 * or a near answer too recent). Far answers mixed with failures (a Service spreading over near
 * and far pods, as Kubernetes alone does) end the window only after the last failure.
 */
export function failoverOf(attempts: readonly Stamped[], isNear: (r: Stamped['reply'] & {}) => boolean, settleMs: number): Failover | undefined {
  let lastNear = -1;
  for (let i = attempts.length - 1; i >= 0; i--) {
    if (attempts[i]!.reply && isNear(attempts[i]!.reply!)) {
      lastNear = i;
      break;
    }
  }
  if (lastNear < 0) return undefined;
  let lastBad = lastNear;
  for (let i = attempts.length - 1; i > lastNear; i--) {
    if (!attempts[i]!.reply) {
      lastBad = i;
      break;
    }
  }
  const first = attempts.findIndex((a, i) => i > lastBad && a.reply !== undefined);
  if (first < 0 || end(attempts.at(-1)!) - end(attempts[first]!) < settleMs) return undefined;
  const failed = attempts.slice(lastNear + 1, first).filter((a) => !a.reply).length;
  return { windowMs: end(attempts[first]!) - end(attempts[lastNear]!), failed };
}

/** Failback: from `readyAt` (a near pod Ready again) to the end of the first attempt started after it that a near pod answered. */
export function failbackOf(attempts: readonly Stamped[], readyAt: number, isNear: (r: Stamped['reply'] & {}) => boolean): number | undefined {
  const back = attempts.find((a) => a.t >= readyAt && a.reply && isNear(a.reply));
  return back ? end(back) - readyAt : undefined;
}

/** Whether the last `n` attempts show the setup's steady state: all answered, by near pods only when `nearOnly`, else by near ones among others. */
export function steady(attempts: readonly Stamped[], isNear: (r: Stamped['reply'] & {}) => boolean, nearOnly: boolean, n = 20): boolean {
  const recent = attempts.slice(-n);
  if (recent.length < n || recent.some((a) => !a.reply)) return false;
  return nearOnly ? recent.every((a) => isNear(a.reply!)) : recent.some((a) => isNear(a.reply!));
}

/** What moves the traffic: the Service a client dials, which of its pods are near, and how they go and come back. */
export interface FailoverSetup {
  label: string;
  client: RealPod;
  host: string;
  port: number;
  isNear(reply: Pick<EchoReply, 'pod' | 'cluster'>): boolean;
  /** Whether, before a round, every connection lands on a near pod (tiers) or only some do (a plain Service). */
  nearOnly: boolean;
  /** Kills and deletes every near pod. */
  removeNear(): Promise<void>;
  /** Starts the near pods again; resolves with the time the first of them turned Ready. */
  restoreNear(): Promise<number>;
}

export interface FailoverRound extends Failover {
  /** A near pod Ready again → first connection it answered. */
  failbackMs: number;
  attempts: number;
}

/** `rounds` rounds of: steady state, near pods deleted, failover settles, near pods back, a near pod answers. */
export async function failoverRounds(dp: DataPlane, setup: FailoverSetup, opts: { rounds: number; intervalMs: number; settleMs?: number; log?: (s: string) => void }): Promise<FailoverRound[]> {
  const out: FailoverRound[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    // Overlapping dials: a connection that waits out its timeout on a deleted pod's address does
    // not hold back the ones after it, so the window is seen at the dialling interval's grain.
    const watcher = dp.watch(setup.client, setup.host, setup.port, opts.intervalMs, { overlap: true });
    const byStart = (since: number) => watcher.attempts.filter((a) => a.t >= since).sort((x, y) => x.t - y.t);
    try {
      await waitFor(async () => steady(byStart(0), setup.isNear, setup.nearOnly), { what: `${setup.label} round ${i + 1}: steady traffic on the near pods`, timeoutMs: 120_000, intervalMs: 50 });
      const from = byStart(0).at(-20)!.t;
      await setup.removeNear();
      const failover = await waitFor(async () => failoverOf(byStart(from), setup.isNear, opts.settleMs ?? 1_500), { what: `${setup.label} round ${i + 1}: traffic on the far pods`, timeoutMs: 120_000, intervalMs: 50 });
      const readyAt = await setup.restoreNear();
      const failbackMs = await waitFor(async () => failbackOf(byStart(readyAt), readyAt, setup.isNear), { what: `${setup.label} round ${i + 1}: traffic back on the near pods`, timeoutMs: 120_000, intervalMs: 50 });
      const round = { ...failover, failbackMs, attempts: byStart(from).length };
      opts.log?.(`  ${setup.label} round ${i + 1}: failover ${round.windowMs} ms (${round.failed} failed), failback ${round.failbackMs} ms`);
      out.push(round);
    } finally {
      await watcher.stop();
    }
  }
  return out;
}
