// Which collections the controller lists and watches in each cluster, by the role the cluster
// plays, and which Service keys a change to each of them touches.
//
// A source cluster (one with export rules) is watched for its Services and for its slices that
// are not replicas, once per namespace its rules look at. A destination (every cluster, or only
// the local one in pull mode) is watched for what this instance owns there, Services and
// slices, and for its Namespaces, since a replica can only be written once its namespace exists.
import type { ClusterConfig, Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { NOT_A_REPLICA_SELECTOR, ownershipSelector } from '../../vocab/labels.ts';
import { serviceKeyOfSlice, storeKey, type ServiceKey } from '../../vocab/keys.ts';
import type { EndpointSlice, Namespace, Service } from '../../vocab/objects.ts';
import { PATHS, sourceCollections } from '../../kube/read.ts';
import { Store, type Listed, type StoreEvent } from '../../kube/store.ts';

export type Resource = 'services' | 'endpointslices' | 'namespaces';

/** One list+watch: where, what, into which store, and the Service keys its changes touch. */
export interface Watch {
  cluster: string;
  role: 'source' | 'destination';
  resource: Resource;
  path: string;
  labelSelector?: string;
  store: Store<Listed>;
  /** `known` lists every key the caches hold, for changes (a new Namespace) that touch many. */
  keysOf(e: StoreEvent<Listed>, known: () => ServiceKey[]): ServiceKey[];
}

/** A source cluster's caches: one store per watched namespace (or one for all of them). */
export interface SourceCaches {
  cluster: string;
  config: ClusterConfig;
  services: Store<Service>[];
  slices: Store<EndpointSlice>[];
}

/** A destination's caches: what this instance owns there, and the namespaces that exist. */
export interface DestinationCaches {
  cluster: string;
  services: Store<Service>;
  /** Indexed by the Service each slice belongs to (sliceService). */
  slices: Store<EndpointSlice>;
  namespaces: Store<Namespace>;
}

export interface Topology {
  /** In config order. */
  sources: Map<string, SourceCaches>;
  destinations: Map<string, DestinationCaches>;
  watches: Watch[];
}

/** The slice index: slices grouped by the Service they belong to (kubernetes.io/service-name). */
export const sliceService = (s: EndpointSlice): ServiceKey | undefined => serviceKeyOfSlice(s);

export function newSliceStore(): Store<EndpointSlice> {
  return new Store<EndpointSlice>(sliceService);
}

/** A Service change touches its own key. */
export function serviceEventKeys(e: StoreEvent<Service>): ServiceKey[] {
  return [storeKey(e.object)];
}

/** A slice change touches the Service it belongs to, and the one it belonged to before a relabel. */
export function sliceEventKeys(e: StoreEvent<EndpointSlice>): ServiceKey[] {
  const keys: ServiceKey[] = [];
  if (e.type === 'modified') {
    const before = sliceService(e.old);
    if (before) keys.push(before);
  }
  const now = sliceService(e.object);
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

// Watch.keysOf is a method (bivariant), so a typed handler fits where Listed is expected.
function watch<T extends Listed>(w: Omit<Watch, 'store' | 'keysOf'> & { store: Store<T>; keysOf: (e: StoreEvent<T>, known: () => ServiceKey[]) => ServiceKey[] }): Watch {
  return w as unknown as Watch;
}

/** The caches and watches of every cluster; `localCluster` (pull mode) is the only destination. */
export function topology(config: Config, localCluster?: string): Topology {
  const sources = new Map<string, SourceCaches>();
  const destinations = new Map<string, DestinationCaches>();
  const watches: Watch[] = [];
  for (const c of config.clusters) {
    if (c.exports.length === 0) continue;
    const side: SourceCaches = { cluster: c.name, config: c, services: [], slices: [] };
    for (const ns of sourceCollections(c)) {
      const services = new Store<Service>();
      const slices = newSliceStore();
      side.services.push(services);
      side.slices.push(slices);
      watches.push(
        watch({ cluster: c.name, role: 'source', resource: 'services', path: PATHS.services(ns), store: services, keysOf: serviceEventKeys }),
        watch({ cluster: c.name, role: 'source', resource: 'endpointslices', path: PATHS.slices(ns), labelSelector: NOT_A_REPLICA_SELECTOR, store: slices, keysOf: sliceEventKeys }),
      );
    }
    sources.set(c.name, side);
  }
  const owned = ownershipSelector(config.instance);
  for (const c of config.clusters) {
    if (localCluster !== undefined && localCluster !== c.name) continue;
    const d: DestinationCaches = { cluster: c.name, services: new Store<Service>(), slices: newSliceStore(), namespaces: new Store<Namespace>() };
    destinations.set(c.name, d);
    watches.push(
      watch({ cluster: c.name, role: 'destination', resource: 'services', path: PATHS.services(), labelSelector: owned, store: d.services, keysOf: serviceEventKeys }),
      watch({ cluster: c.name, role: 'destination', resource: 'endpointslices', path: PATHS.slices(), labelSelector: owned, store: d.slices, keysOf: sliceEventKeys }),
      watch({ cluster: c.name, role: 'destination', resource: 'namespaces', path: PATHS.namespaces(), store: d.namespaces, keysOf: namespaceEventKeys }),
    );
  }
  return { sources, destinations, watches };
}
