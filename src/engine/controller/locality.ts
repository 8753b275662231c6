// Locality tiers as the controller runs them: the fleet's places (each cluster's properties and
// its Nodes' zones) handed to the planners, and the tier each importing cluster uses for each
// Service with tiers, remembered so that a change of tier is logged, counted and posted as an
// Event on the import there, and shown on /status. Shared by the replica and import capabilities.
import type { Logger } from 'pino';
import type { ClusterConfig } from '../../config/types.ts';
import { fleetPlaces, type LocalityState, type LocalityView } from '../../model/locality/plan.ts';
import { postEvent, warningEvent } from '../events.ts';
import { cmpTuple } from '../../model/canonical.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import type { NodeRanges } from './node-ranges.ts';
import type { ClusterPropertyObjects } from './cluster-properties.ts';
import type { ClusterWriter } from './writer.ts';

export const TIER_CHANGED_REASON = 'LocalityTierChanged';

/** The places the planners read: zones are what the Nodes watch holds now, so a Node relabelled into another zone counts at once. */
export function watchedPlaces(clusters: () => readonly ClusterConfig[], nodes: ReadonlyMap<string, NodeRanges>, properties: ReadonlyMap<string, ClusterPropertyObjects>): LocalityView {
  const zones = (name: string) => {
    const n = nodes.get(name);
    return n?.settled && !n.refused ? n.zones : undefined;
  };
  return fleetPlaces(clusters, zones, (name) => properties.get(name)?.values());
}

/** What a tier-change Event is posted on in the importing cluster. */
export interface Involved {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

const describe = (s: LocalityState) => (s.inactive ? `inactive (${s.inactive})` : s.tier === 'all' ? `every cluster (${s.clusters.join(', ') || 'none'}: no tier has a ready endpoint)` : `tier ${s.tier} (${s.clusters.join(', ')})`);
const same = (a: LocalityState, b: LocalityState) => a.tier === b.tier && a.clusters.join() === b.clusters.join() && a.inactive === b.inactive;

export interface LocalityTrackerOptions {
  log: Logger;
  metrics?: ControllerMetricsSink;
  writers: ReadonlyMap<string, ClusterWriter>;
  isLeader: () => boolean;
}

export class LocalityTracker {
  readonly #o: LocalityTrackerOptions;
  /** "capability|namespace/name" → importing cluster → its state. */
  readonly #states = new Map<string, Map<string, LocalityState>>();
  readonly #series = new Set<string>();

  constructor(o: LocalityTrackerOptions) {
    this.#o = o;
  }

  /**
   * The states of one Service's last plan, replacing what was known of it in `clusters` (the
   * replica path plans one destination at a time; the import path, every cluster at once). A
   * state that differs from the one before is a tier change.
   */
  async record(scope: string, key: string, clusters: readonly string[], states: readonly LocalityState[], involved: (s: LocalityState) => Involved): Promise<void> {
    const id = `${scope}|${key}`;
    const known = this.#states.get(id) ?? new Map<string, LocalityState>();
    const changed: { before: LocalityState; after: LocalityState }[] = [];
    for (const c of clusters) {
      const after = states.find((s) => s.cluster === c);
      const before = known.get(c);
      if (!after) known.delete(c);
      else {
        known.set(c, after);
        if (before && !same(before, after)) changed.push({ before, after });
      }
    }
    if (known.size > 0) this.#states.set(id, known);
    else this.#states.delete(id);
    await Promise.all(changed.map((ch) => this.#changed(ch.before, ch.after, involved(ch.after))));
  }

  async #changed(before: LocalityState, after: LocalityState, involved: Involved): Promise<void> {
    const message = `locality: ${after.namespace}/${after.name} in ${after.cluster} moved from ${describe(before)} to ${describe(after)}`;
    this.#o.log.info({ cluster: after.cluster, key: `${after.namespace}/${after.name}`, from: before.tier, to: after.tier, clusters: after.clusters }, 'locality tier changed');
    this.#o.metrics?.localityTierChanges.inc({ cluster: after.cluster });
    const writer = this.#o.writers.get(after.cluster);
    if (!writer || !this.#o.isLeader()) return;
    const event = warningEvent(involved, TIER_CHANGED_REASON, message, new Date(), { type: 'Normal', everyTime: true });
    const r = await postEvent(writer.client, involved.namespace, event);
    if (r.outcome === 'failed') this.#o.log.warn({ cluster: after.cluster, error: r.detail }, 'locality event not posted');
  }

  /** A cluster left the fleet: it imports nothing any more. */
  forgetCluster(cluster: string): void {
    for (const [id, m] of this.#states) {
      m.delete(cluster);
      if (m.size === 0) this.#states.delete(id);
    }
    // Its series go with it (metrics.removeCluster): setting them again would bring them back.
    for (const k of this.#series) if (k.startsWith(`${cluster}\u0000`)) this.#series.delete(k);
  }

  /** Every importing cluster's tier for every Service with tiers, in a stable order. */
  states(): LocalityState[] {
    return [...this.#states.values()].flatMap((m) => [...m.values()])
      .sort((a, b) => cmpTuple([a.cluster, a.namespace, a.name], [b.cluster, b.namespace, b.name]));
  }

  /** The Services per importing cluster and tier in use ("0", "1", …, "all", "inactive"). */
  gauges(metrics: ControllerMetricsSink): void {
    const counts = new Map<string, number>();
    for (const s of this.states()) {
      const k = `${s.cluster}\u0000${s.inactive ? 'inactive' : String(s.tier)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const k of counts.keys()) this.#series.add(k);
    for (const k of this.#series) {
      const [cluster, tier] = k.split('\u0000') as [string, string];
      metrics.localityServices.set({ cluster, tier }, counts.get(k) ?? 0);
    }
  }
}

/** What the replica and import capabilities are handed: where clusters are, and where a tier change is recorded. */
export interface Locality {
  view: LocalityView;
  tracker: LocalityTracker;
}
