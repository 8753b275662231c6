// What the replica capability reads in each cluster, by the role the cluster plays, and which
// Service keys a change to each collection touches.
//
// A source cluster (one with export rules) is read for its Services that are not mcsync's and
// its slices that are not replicas, in each namespace its rules look at (served by the
// cluster-wide watch when another capability has one: informers.ts). A destination (every
// cluster, or only the local one in pull mode) is read for what this instance owns there,
// Services and slices, and for its Namespaces, since a replica can only be written once its
// namespace exists.
import type { ClusterConfig, Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { sourceSliceForCache } from '../../model/cache-projections.ts';
import { NOT_A_REPLICA_SELECTOR, OWNED_BY, OWNED_BY_VALUE, replicaSelector } from '../../vocab/labels.ts';
import { serviceKeyOfSlice, storeKey, type ServiceKey } from '../../vocab/keys.ts';
import type { EndpointSlice, Namespace, Service } from '../../vocab/objects.ts';
import { PATHS, sourceCollections } from '../../kube/read.ts';
import type { CacheStore, Listed, StoreEvent } from '../../kube/store.ts';
import { InformerRegistry, type Index, type InformerView } from './informers.ts';
import { nodeRangesOf, type NodeRanges } from './node-ranges.ts';

/** A source cluster's caches: one view per namespace its rules read (or one for all of them). */
export interface SourceCaches {
  cluster: string;
  config: ClusterConfig;
  services: CacheStore<Service>[];
  slices: CacheStore<EndpointSlice>[];
  /** Its Nodes' pod ranges, when the config names none. */
  nodes?: NodeRanges;
}

/** A destination's caches: what this instance owns there, and the namespaces that exist. */
export interface DestinationCaches {
  cluster: string;
  services: CacheStore<Service>;
  /** Indexed by the Service each slice belongs to (SLICE_SERVICE). */
  slices: CacheStore<EndpointSlice>;
  namespaces: CacheStore<Namespace>;
}

export interface ReplicaTopology {
  /** In config order. */
  sources: Map<string, SourceCaches>;
  destinations: Map<string, DestinationCaches>;
}

/** The slice index: slices grouped by the Service they belong to (kubernetes.io/service-name). */
export const SLICE_SERVICE: Index<EndpointSlice> = { name: 'service', of: serviceKeyOfSlice };

/** A source's slices keep only what replicas are rendered from (cache-projections.ts). */
export const SOURCE_SLICE = { name: 'source-slice', of: sourceSliceForCache };

/** Services a cluster may export: not mcsync's (a replica exported again would bounce forever). */
export const NOT_MCSYNC_SELECTOR = `${OWNED_BY}!=${OWNED_BY_VALUE}`;

/** A Service change touches its own key. */
export function serviceEventKeys<T extends Listed>(e: StoreEvent<T>): ServiceKey[] {
  return [storeKey(e.object)];
}

/** A slice change touches the Service it belongs to, and the one it belonged to before a relabel. */
export function sliceEventKeys<T extends Listed>(e: StoreEvent<T>): ServiceKey[] {
  const keys: ServiceKey[] = [];
  if (e.type === 'modified') {
    const before = serviceKeyOfSlice(e.old);
    if (before) keys.push(before);
  }
  const now = serviceKeyOfSlice(e.object);
  if (now && !keys.includes(now)) keys.push(now);
  return keys;
}

/** A new Namespace may unblock every replica waiting for it. */
export function namespaceEventKeys(e: StoreEvent<Namespace>, known: () => ServiceKey[]): ServiceKey[] {
  if (e.type !== 'added') return [];
  const prefix = `${e.object.metadata.name}/`;
  return known().filter((k) => k.startsWith(prefix));
}

/** Every Service key a source's caches hold, by Service or by slice. */
export function sourceKeys(s: SourceCaches): ServiceKey[] {
  const keys = new Set<ServiceKey>();
  for (const st of s.services) for (const k of st.keys()) keys.add(k);
  for (const st of s.slices) for (const k of st.indexValues()) keys.add(k);
  return [...keys];
}

/** Every Service key any cache holds, sorted: what a full resync reconciles. */
export function allKeys(t: { sources: ReadonlyMap<string, SourceCaches>; destinations: ReadonlyMap<string, DestinationCaches> }): ServiceKey[] {
  const keys = new Set<ServiceKey>();
  for (const s of t.sources.values()) for (const k of sourceKeys(s)) keys.add(k);
  for (const d of t.destinations.values()) {
    for (const k of d.services.keys()) keys.add(k);
    for (const k of d.slices.indexValues()) keys.add(k);
  }
  return [...keys].sort(cmp);
}

/** What a watch event of each collection means, for whoever subscribes (the replica capability). */
export interface ReplicaHandlers {
  source(cluster: string, keys: ServiceKey[]): void;
  destination(cluster: string, keys: ServiceKey[]): void;
}

/** The namespaces of a cluster, as every capability reads them (one shared watch). */
export function namespacesNeed(informers: InformerRegistry, cluster: string): InformerView<Namespace> {
  return informers.need<Namespace>({ cluster, resource: 'namespaces', path: () => PATHS.namespaces() });
}

/** Declares what the replica capability reads of a source cluster (one with export rules). */
export function declareSource(registry: InformerRegistry, c: ClusterConfig, nodes: ReadonlyMap<string, NodeRanges>, on?: ReplicaHandlers): SourceCaches {
  const side: SourceCaches = { cluster: c.name, config: c, services: [], slices: [] };
  const ranges = nodes.get(c.name);
  if (ranges) side.nodes = ranges;
  for (const ns of sourceCollections(c)) {
    const scope = ns === undefined ? {} : { namespace: ns };
    side.services.push(registry.need<Service>({ cluster: c.name, resource: 'services', path: PATHS.services, labelSelector: NOT_MCSYNC_SELECTOR, ...scope },
      (e) => on?.source(c.name, serviceEventKeys(e))));
    side.slices.push(registry.need<EndpointSlice>({ cluster: c.name, resource: 'endpointslices', path: PATHS.slices, labelSelector: NOT_A_REPLICA_SELECTOR, index: SLICE_SERVICE, projection: SOURCE_SLICE, ...scope },
      (e) => on?.source(c.name, sliceEventKeys(e))));
  }
  return side;
}

/**
 * The namespaces of a destination where replicas may join the user's own Service (a rule with
 * conflictPolicy merge exports there): [undefined] when a rule names none, [] when there is no
 * such rule. The user's Service decides the hints there, so its changes must reach the planner.
 */
export function mergeNamespaces(config: Config, cluster: string): (string | undefined)[] {
  const rules = config.clusters.flatMap((c) => (c.name === cluster ? [] : c.exports.filter((r) => r.conflictPolicy === 'merge' && r.exportTo.includes(cluster))));
  if (rules.some((r) => r.namespace === undefined)) return [undefined];
  return [...new Set(rules.map((r) => r.namespace!))].sort(cmp);
}

/** Declares what the replica capability reads of a destination: what this instance owns there, its namespaces, and the users' Services replicas merge into. */
export function declareDestination(registry: InformerRegistry, config: Config, cluster: string, t: ReplicaTopology, on?: ReplicaHandlers): DestinationCaches {
  const owned = replicaSelector(config.instance);
  const namespaces = namespacesNeed(registry, cluster);
  registry.subscribe(namespaces, (e) => on?.destination(cluster, namespaceEventKeys(e, () => allKeys(t))));
  // A user's Service changing (its trafficDistribution, say) or going away changes what mcsync
  // writes next to it; the watch is the sources' one when the cluster exports there too.
  for (const ns of mergeNamespaces(config, cluster)) {
    registry.need<Service>({ cluster, resource: 'services', path: PATHS.services, labelSelector: NOT_MCSYNC_SELECTOR, ...(ns === undefined ? {} : { namespace: ns }) },
      (e) => on?.destination(cluster, serviceEventKeys(e)));
  }
  return {
    cluster,
    services: registry.need<Service>({ cluster, resource: 'services', path: PATHS.services, labelSelector: owned }, (e) => on?.destination(cluster, serviceEventKeys(e))),
    slices: registry.need<EndpointSlice>({ cluster, resource: 'endpointslices', path: PATHS.slices, labelSelector: owned, index: SLICE_SERVICE }, (e) => on?.destination(cluster, sliceEventKeys(e))),
    namespaces,
  };
}

/**
 * Declares the replica capability's reads; `localCluster` (pull mode) is the only destination.
 * Without a registry (tests), one of its own is made and sealed, so the caches can be filled by hand.
 */
export function topology(config: Config, localCluster?: string, informers?: InformerRegistry, nodes: ReadonlyMap<string, NodeRanges> = nodeRangesOf(config, localCluster), on?: ReplicaHandlers): ReplicaTopology {
  const registry = informers ?? new InformerRegistry();
  const sources = new Map<string, SourceCaches>();
  const destinations = new Map<string, DestinationCaches>();
  for (const c of config.clusters) {
    if (c.exports.length === 0) continue;
    sources.set(c.name, declareSource(registry, c, nodes, on));
  }
  const t: ReplicaTopology = { sources, destinations };
  for (const c of config.clusters) {
    if (localCluster !== undefined && localCluster !== c.name) continue;
    destinations.set(c.name, declareDestination(registry, config, c.name, t, on));
  }
  if (!informers) registry.seal();
  return t;
}
