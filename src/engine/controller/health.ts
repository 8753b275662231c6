// How each cluster is doing, judged from its reflectors: connected, synced, since when it has
// been failing, and — for a source — whether its cached view is now too old to trust (stale),
// which is what the reconciler's stale policy acts on.
import type { ClusterConfig } from '../../config/types.ts';
import { isStale } from '../../model/stale.ts';
import type { ReflectorStatus } from '../../kube/reflector.ts';
import type { HealthState } from '../../model/fleet-view.ts';

/** Its fields are the status page's too (model/fleet-view.ts); here with the cluster's name. */
export interface ClusterHealth extends HealthState {
  cluster: string;
  /** ISO time it joined the running controller (its start, for the clusters it started with). */
  joinedAt?: string;
  /** Joining the running controller: its watches are still listing. */
  joining?: true;
}

/** A source whose staleness just flipped. */
export interface StaleTransition {
  cluster: string;
  stale: boolean;
  policy: ClusterConfig['stalePolicy'];
}

export class ClusterHealthTracker {
  #clusters: readonly ClusterConfig[];
  #sources: readonly ClusterConfig[];
  readonly #reflectors: ReadonlyMap<string, readonly ReflectorStatus[]>;
  readonly #stale = new Set<string>();
  /** Removed clusters whose last view was kept: stale for good, whatever their watches said. */
  readonly #kept = new Set<string>();

  /** `sources` are the clusters with export rules; `reflectors` are every watch of each cluster, in either role. */
  constructor(clusters: readonly ClusterConfig[], sources: readonly ClusterConfig[], reflectors: ReadonlyMap<string, readonly ReflectorStatus[]>) {
    this.#clusters = clusters;
    this.#sources = sources;
    this.#reflectors = reflectors;
  }

  #of(cluster: string): readonly ReflectorStatus[] {
    return this.#reflectors.get(cluster) ?? [];
  }

  /** When the oldest current run of failures among the cluster's watches began (ms since epoch). */
  unhealthySince(cluster: string): number | undefined {
    const defined = this.#of(cluster).map((r) => r.unhealthySince).filter((t): t is number => t !== undefined);
    return defined.length ? Math.min(...defined) : undefined;
  }

  isStale(cluster: string): boolean {
    return this.#stale.has(cluster) || this.#kept.has(cluster);
  }

  /**
   * The fleet changed while running (a cluster joined or left): the clusters judged from now on.
   * A joining cluster is neither stale nor kept any more.
   */
  update(clusters: readonly ClusterConfig[], sources: readonly ClusterConfig[]): void {
    this.#clusters = clusters;
    this.#sources = sources;
    for (const c of clusters) this.#kept.delete(c.name);
    const judged = new Set(sources.map((c) => c.name));
    for (const name of [...this.#stale]) if (!judged.has(name)) this.#stale.delete(name);
  }

  /**
   * A cluster left. Kept (inventory.onRemove: keep): its last view stays and counts as stale
   * from now on, so its stale policy applies to everything it sourced; otherwise it is forgotten.
   */
  remove(cluster: string, kept: boolean): void {
    this.#clusters = this.#clusters.filter((c) => c.name !== cluster);
    this.#sources = this.#sources.filter((c) => c.name !== cluster);
    this.#stale.delete(cluster);
    if (kept) this.#kept.add(cluster);
  }

  /** Re-judges every source against its staleAfter; returns the ones that changed. */
  refresh(now: number = Date.now()): StaleTransition[] {
    const changed: StaleTransition[] = [];
    for (const c of this.#sources) {
      const stale = isStale(this.unhealthySince(c.name), c.staleAfterMs, now);
      if (stale === this.#stale.has(c.name)) continue;
      if (stale) this.#stale.add(c.name);
      else this.#stale.delete(c.name);
      changed.push({ cluster: c.name, stale, policy: c.stalePolicy });
    }
    return changed;
  }

  health(): ClusterHealth[] {
    return this.#clusters.map((c) => {
      const rs = this.#of(c.name);
      const since = this.unhealthySince(c.name);
      const lastSeen = Math.max(0, ...rs.map((r) => r.lastSeen ?? 0));
      const errors = rs.map((r) => r.stats).filter((s) => s.lastErrorAt).sort((a, b) => b.lastErrorAt! - a.lastErrorAt!);
      return {
        cluster: c.name,
        connected: rs.every((r) => r.connected),
        synced: rs.every((r) => r.synced),
        stale: this.isStale(c.name),
        ...(since ? { unhealthySince: new Date(since).toISOString() } : {}),
        ...(lastSeen ? { lastSeen: new Date(lastSeen).toISOString() } : {}),
        ...(errors[0]?.lastError ? { lastError: errors[0].lastError } : {}),
      };
    });
  }
}
