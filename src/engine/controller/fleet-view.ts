// The fleet as the status page draws it: clusters, and per exported Service key the edges from
// each source to each destination this instance writes, with one state each. It reads the
// caches and what the reconciler remembers of its last runs, and changes nothing, so drawing
// the page never costs an API call.
//
// The sources are read as their caches hold them, without the stale policy: a stale source's
// exports stay in the picture (as stale) even under `withdraw`, which is the point of showing it.
// With `mcs: true` the view also has one row per multi-cluster service (fleet-imports.ts).
import type { Config } from '../../config/types.ts';
import { splitServiceKey, type ServiceKey } from '../../vocab/keys.ts';
import type { EndpointSlice } from '../../vocab/objects.ts';
import { cmp, cmpTuple } from '../../model/canonical.ts';
import type { Conflict } from '../../model/conflicts.ts';
import { sourcesOf } from '../../model/replica-service.ts';
import { selectExports } from '../../model/select.ts';
import { endpointCounts } from '../../model/status.ts';
import type { Export, SourceSnapshot } from '../../model/types.ts';
import { EDGE_STATES, type EdgeState, type FleetCluster, type FleetEdge, type FleetExport, type FleetLocality, type FleetRejection, type FleetSource, type FleetView } from '../../model/fleet-view.ts';
import { fleetImports, type McsRecord } from './fleet-imports.ts';
import type { ClusterHealth } from './health.ts';
import { imports } from './imports.ts';
import type { Manager, RemovedCluster } from './manager.ts';
import { replicas } from './replicas.ts';
import type { McsTopology } from './mcs-topology.ts';
import type { DestinationOutcome, LastPropagation } from './reconciler.ts';
import { allKeys, type DestinationCaches, type SourceCaches } from './topology.ts';

// The view's shapes are in model/, where the status page's script is checked against them too.
export { EDGE_STATES } from '../../model/fleet-view.ts';
export type { EdgeState, FleetCluster, FleetEdge, FleetExport, FleetImport, FleetRejection, FleetSource, FleetView } from '../../model/fleet-view.ts';

/** What the reconciler remembers of its last run of each key in each destination. */
export interface ReconcileRecord {
  lastOutcome(destination: string, key: ServiceKey): DestinationOutcome | undefined;
  conflictsOf(destination: string, key: ServiceKey): readonly Conflict[];
  lastPropagation(source: string, destination: string, key: ServiceKey): LastPropagation | undefined;
}

export interface FleetInput {
  config: Config;
  /** In config order. */
  sources: ReadonlyMap<string, SourceCaches>;
  /** The clusters this instance writes. */
  destinations: ReadonlyMap<string, DestinationCaches>;
  health: readonly ClusterHealth[];
  record: ReconcileRecord;
  /** With config.mcs only: the import side's caches and what its reconciler remembers. */
  mcs?: { topology: McsTopology; record: McsRecord };
  /** Endpoints the guard refuses now. */
  rejected?: readonly FleetRejection[];
  /** The tier each importing cluster uses, per Service with tiers. */
  locality?: readonly FleetLocality[];
  now?: number;
}

/**
 * The status page's data from a running manager: the replica edges, and with imports on, their
 * rows. A removed cluster whose last view is kept shows as stale, which is how it is planned.
 */
export function fleetOf(m: { get: Manager['get']; health(): ClusterHealth[]; rejected(): FleetRejection[]; locality(): FleetLocality[]; removed?(): RemovedCluster[] }): FleetView {
  const r = m.get(replicas)!;
  const i = m.get(imports);
  const { sources, destinations } = r.topology;
  const kept = (m.removed?.() ?? []).filter((c) => c.onRemove === 'keep').map((c): ClusterHealth => ({
    cluster: c.cluster, connected: false, synced: false, stale: true, lastError: `removed from the inventory at ${c.removedAt}; what it sourced is kept`,
  }));
  return fleetView({ config: r.config, sources, destinations, health: [...m.health(), ...kept], record: r.reconciler, rejected: m.rejected(), locality: m.locality(), ...(i ? { mcs: { topology: i.topology, record: i.record } } : {}) });
}

export function fleetView(input: FleetInput): FleetView {
  const { config, sources, destinations, record } = input;
  const health = new Map(input.health.map((h) => [h.cluster, h]));
  const clusters = config.clusters.map((c): FleetCluster => {
    const h = health.get(c.name);
    return {
      name: c.name,
      source: sources.has(c.name),
      destination: destinations.has(c.name),
      origin: c.origin?.kind === 'inventory'
        ? { kind: 'inventory', profile: `${c.origin.namespace}/${c.origin.profile}`, health: c.origin.health, ...(c.origin.healthy !== undefined ? { healthy: c.origin.healthy } : {}) }
        : { kind: 'file' },
      connected: h?.connected ?? false,
      synced: h?.synced ?? false,
      stale: h?.stale ?? false,
      ...(h?.unhealthySince ? { unhealthySince: h.unhealthySince } : {}),
      ...(h?.lastSeen ? { lastSeen: h.lastSeen } : {}),
      ...(h?.lastError ? { lastError: h.lastError } : {}),
    };
  });
  const staleAfter = new Map(config.clusters.map((c) => [c.name, c.staleAfterMs / 1000]));
  const policy = new Map(config.clusters.map((c) => [c.name, c.stalePolicy]));
  const sourceOf = (cluster: string): FleetSource => {
    const h = health.get(cluster);
    return {
      cluster,
      connected: h?.connected ?? false,
      stale: h?.stale ?? false,
      ...(h?.unhealthySince ? { unhealthySince: h.unhealthySince } : {}),
      staleAfterSeconds: staleAfter.get(cluster) ?? 0,
    };
  };

  const byKey = Map.groupBy(selectExports(config, [...sources.values()].map(snapshotOf)).exports, (e) => `${e.service.metadata.namespace!}/${e.service.metadata.name}`);
  const out: FleetExport[] = [];
  for (const key of allKeys({ sources, destinations })) {
    const exs = byKey.get(key) ?? [];
    const pairs = edgePairs(key, exs, destinations);
    if (pairs.length === 0 && exs.length === 0) continue;
    const edges = pairs.map(([source, destination]) => edgeOf(key, source, destination, health.get(source), policy.get(source), record));
    const perDestination = Map.groupBy(edges, (e) => e.destination);
    const { namespace, name } = splitServiceKey(key);
    out.push({
      key, namespace, name,
      sources: [...new Set([...exs.map((e) => e.sourceCluster), ...pairs.map(([s]) => s)])].sort(cmp).map(sourceOf),
      endpoints: endpointCounts(exs),
      destinations: [...perDestination].sort(([a], [b]) => cmp(a, b)).map(([cluster, es]) => {
        const worst = es.reduce((w, e) => (rank(e.state) < rank(w.state) ? e : w));
        return { cluster, state: worst.state, ...(worst.detail ? { detail: worst.detail } : {}) };
      }),
      edges,
    });
  }
  const imports = input.mcs ? fleetImports({ config, ...input.mcs, destinations, health }) : [];
  return { generatedAt: new Date(input.now ?? Date.now()).toISOString(), clusters, exports: out, imports, rejected: [...(input.rejected ?? [])], locality: [...(input.locality ?? [])] };
}

/** A source's caches as one snapshot of every key, as selectExports takes them. */
function snapshotOf(s: SourceCaches): SourceSnapshot {
  const slices = new Map<string, EndpointSlice[]>();
  for (const st of s.slices) for (const k of st.indexValues()) slices.set(k, [...(slices.get(k) ?? []), ...st.indexed(k)]);
  const snapshot: SourceSnapshot = { cluster: s.cluster, services: s.services.flatMap((st) => [...st.values()]), slices };
  const podCidrs = s.nodes?.cidrs;
  if (podCidrs) snapshot.podCidrs = podCidrs;
  return snapshot;
}

/**
 * source → destination pairs of a key, sorted: where its exports go, among the destinations
 * this instance writes, and where a replica of it still names its sources (an export that
 * stopped, until the replica is collected).
 */
function edgePairs(key: ServiceKey, exs: readonly Export[], destinations: ReadonlyMap<string, DestinationCaches>): [string, string][] {
  const pairs = new Map<string, [string, string]>();
  const add = (s: string, d: string) => {
    if (s !== d) pairs.set(`${s}\u0000${d}`, [s, d]);
  };
  for (const e of exs) for (const d of e.destinations) if (destinations.has(d)) add(e.sourceCluster, d);
  for (const [d, caches] of destinations) {
    const replica = caches.services.get(key);
    if (replica) for (const s of sourcesOf(replica)) add(s, d);
  }
  return [...pairs.values()].sort((a, b) => cmpTuple(a, b));
}

function edgeOf(key: ServiceKey, source: string, destination: string, h: ClusterHealth | undefined, stalePolicy: string | undefined, record: ReconcileRecord): FleetEdge {
  const outcome = record.lastOutcome(destination, key);
  const conflicts = record.conflictsOf(destination, key);
  const latency = record.lastPropagation(source, destination, key);
  const timing = latency ? { latencySeconds: latency.seconds, latencyAt: new Date(latency.at).toISOString() } : {};
  const base = { source, destination, ...timing };
  if (outcome && !outcome.ok) return { ...base, state: 'failing', detail: outcome.error ?? 'the last reconcile failed' };
  if (conflicts.length) return { ...base, state: 'conflict', detail: conflicts.map((c) => c.message).join('; ') };
  if (h?.stale) return { ...base, state: 'stale', detail: `${source} unreachable${h.unhealthySince ? ` since ${h.unhealthySince}` : ''}; stale policy ${stalePolicy ?? 'keep'} applies` };
  if (!outcome) return { ...base, state: 'pending', detail: 'not reconciled here yet' };
  return { ...base, state: 'in-sync' };
}

function rank(s: EdgeState): number {
  return EDGE_STATES.indexOf(s);
}
