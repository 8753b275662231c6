// The controller sees one Service key per reconcile; the rejected-endpoints gauge is about a
// whole source. This keeps the latest rejections of every key and sets the gauge from their
// sum, and logs a key's rejections when they change (not on every reconcile).
import type { Rejection } from '../model/endpoint-guard.ts';
import type { GaugeSink } from './controller/metrics.ts';
import { describeRejections } from './rejection-events.ts';

/** pino's order: fields first, then the message (a second argument would be a format value and be lost). */
export interface RejectionLog {
  warn(fields: Record<string, unknown>, msg: string): void;
}

export class RejectionTally {
  readonly #byKey = new Map<string, { rejected: readonly Rejection[]; text: string }>();
  /** Every (cluster, reason) series ever set, so one that drops to nothing reads 0, not its last value. */
  readonly #series = new Set<string>();

  readonly #gauge: GaugeSink<'cluster' | 'reason'> | undefined;
  readonly #log: RejectionLog | undefined;

  constructor(gauge: GaugeSink<'cluster' | 'reason'> | undefined, log: RejectionLog | undefined) {
    this.#gauge = gauge;
    this.#log = log;
  }

  record(key: string, rejected: readonly Rejection[]): void {
    const text = describeRejections(rejected);
    const before = this.#byKey.get(key);
    if (rejected.length === 0) this.#byKey.delete(key);
    else this.#byKey.set(key, { rejected, text });
    if ((before?.text ?? '') === text) return;
    if (rejected.length > 0) {
      for (const [cluster, list] of Map.groupBy(rejected, (r) => r.cluster)) {
        this.#log?.warn({ cluster, service: key, rejected: describeRejections(list) }, 'endpoints not replicated');
      }
    }
    this.#publish();
  }

  /** Every endpoint refused now, over every key, in a stable order: what /status and the status page list. */
  all(): Rejection[] {
    const out = [...this.#byKey.values()].flatMap((v) => v.rejected);
    const k = (r: Rejection) => [r.cluster, r.namespace, r.name, r.reason, r.what].join('\u0000');
    return out.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
  }

  totals(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { rejected } of this.#byKey.values()) {
      for (const r of rejected) out.set(`${r.cluster}\u0000${r.reason}`, (out.get(`${r.cluster}\u0000${r.reason}`) ?? 0) + r.count);
    }
    return out;
  }

  #publish(): void {
    const totals = this.totals();
    for (const s of totals.keys()) this.#series.add(s);
    for (const s of this.#series) {
      const [cluster, reason] = s.split('\u0000') as [string, string];
      this.#gauge?.set({ cluster, reason }, totals.get(s) ?? 0);
    }
  }
}
