// A collection the controller reads when it can, and does without when it cannot: the Nodes
// (a credential may lack the grant) and the About API's ClusterProperties (a cluster may not have
// the CRD). Such an answer is not an outage: the cluster stays connected and synced in its
// health, the refusal is logged once, and the reflector keeps re-asking at its backoff, so a
// grant or CRD added later is picked up without a restart.
import type { Logger } from 'pino';
import type { ReflectorStats, ReflectorStatus } from '../../kube/reflector.ts';

export abstract class OptionalCollection {
  readonly cluster: string;
  #refused = false;
  #settled = false;
  readonly #waiters: (() => void)[] = [];

  constructor(cluster: string) {
    this.cluster = cluster;
  }

  /** Whether a list or watch error means "not there for us" (missing grant or API), rather than a failure. */
  protected abstract isAbsence(err: Error): boolean;
  /** Logged once when the collection turns out not to be readable. */
  protected abstract absentMessage(err: Error): string;
  /** Logged once when it can be read again after that. */
  protected abstract backMessage(): string;
  /** The grant a refusal means is missing, as its log line names it. */
  protected abstract readonly missing: string;

  /** The last answer of its list or watch was an absence. */
  get refused(): boolean {
    return this.#refused;
  }

  /** Listed, or absent: either way it is as known as it will get, and what depends on it may be planned. */
  get settled(): boolean {
    return this.#settled;
  }

  whenSettled(): Promise<void> {
    if (this.#settled) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  /** It was listed or watched: readable (again). True when it had been absent. */
  answered(): boolean {
    const was = this.#refused;
    this.#refused = false;
    this.#settle();
    return was;
  }

  /** An absence: true the first time in a row, so it is logged once, not at every retry. */
  refuse(): boolean {
    const first = !this.#refused;
    this.#refused = true;
    this.#settle();
    return first;
  }

  /** It was listed or watched; logs when an absence has ended. */
  listed(log: Pick<Logger, 'info'>): void {
    if (this.answered()) log.info({ cluster: this.cluster }, this.backMessage());
  }

  /** A list or watch error: true when it is an absence (handled here), false for any other failure. */
  absentOn(err: Error, log: Pick<Logger, 'warn'>): boolean {
    if (!this.isAbsence(err)) {
      this.#refused = false;
      return false;
    }
    if (this.refuse()) log.warn({ cluster: this.cluster, missing: this.missing, err: err.message }, this.absentMessage(err));
    return true;
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Its reflector's status as cluster health reads it: while absent it counts as synced and connected, with no error. */
  healthOf(r: ReflectorStatus): ReflectorStatus {
    const refused = () => this.#refused;
    return {
      get synced() { return r.synced || refused(); },
      get connected() { return r.connected || refused(); },
      get unhealthySince() { return refused() ? undefined : r.unhealthySince; },
      get lastSeen() { return r.lastSeen; },
      get stats(): ReflectorStats {
        if (!refused()) return r.stats;
        const { lastError: _e, lastErrorAt: _at, ...rest } = r.stats;
        return rest;
      },
    };
  }
}
