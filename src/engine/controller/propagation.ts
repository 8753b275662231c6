// When a source change was first seen for a key and not yet written everywhere it goes: what
// the propagation histogram measures. Only the first change counts until one reconcile of the
// key has written it, so a burst is timed from its start.
import type { ServiceKey } from '../../vocab/keys.ts';

export interface PendingChange {
  /** performance.now() when the change was observed. */
  at: number;
  source: string;
}

export class PendingPropagations {
  readonly #pending = new Map<ServiceKey, PendingChange>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  observed(source: string, keys: readonly ServiceKey[]): void {
    const at = this.#now();
    for (const k of keys) if (!this.#pending.has(k)) this.#pending.set(k, { at, source });
  }

  /** Takes the key's pending change, for a reconcile about to write it. */
  take(key: ServiceKey): PendingChange | undefined {
    const p = this.#pending.get(key);
    this.#pending.delete(key);
    return p;
  }

  /** Puts back a change a failed reconcile did not propagate, unless a newer one arrived meanwhile. */
  restore(key: ServiceKey, p: PendingChange): void {
    if (!this.#pending.has(key)) this.#pending.set(key, p);
  }

  secondsSince(p: PendingChange): number {
    return (this.#now() - p.at) / 1000;
  }
}
