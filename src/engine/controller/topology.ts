// Which collections the controller lists and watches in each cluster, by the role the cluster
// plays, and which Service keys a change to each of them touches.
//
// A source cluster (one with export rules) is watched for its Services and for its slices that
// are not replicas, once per namespace its rules look at. A destination (every cluster, or only
// the local one in pull mode) is watched for what this instance owns there, Services and
// slices, and for its Namespaces, since a replica can only be written once its namespace exists.
// A source without podCIDRs in the config (with mcs on: any cluster without them) is watched
// for its Nodes too, once for both paths (node-ranges.ts): their ranges bound its endpoints.
// In pull mode only the local cluster is: the others are read with a reader's credential.
// With networkPolicies on, policy-topology.ts adds what companions need.
import type { ClusterConfig, Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { podForCache, sourceSliceForCache } from '../../model/cache-projections.ts';
import { NOT_A_REPLICA_SELECTOR, replicaSelector } from '../../vocab/labels.ts';
import { serviceKeyOfSlice, storeKey, type ServiceKey } from '../../vocab/keys.ts';
import type { EndpointSlice, Namespace, NetworkPolicy, Pod, Service } from '../../vocab/objects.ts';
import { PATHS, sourceCollections } from '../../kube/read.ts';
import { Store, type Listed, type StoreEvent } from '../../kube/store.ts';
import { nodeRangesOf, type NodeRanges } from './node-ranges.ts';
import type { PolicyKey } from './policy-keys.ts';
import {
  PolicyIndex, namespacePolicyKeys, networkPolicyEventKeys, newPolicyStore, podEventKeys,
  type PolicyCaches, type RemoteCaches,
} from './policy-topology.ts';

export type Resource = 'services' | 'endpointslices' | 'namespaces' | 'networkpolicies' | 'pods';

/** What a watch's changes mean to spanned policies. */
export interface PolicyWatch {
  keysOf(e: StoreEvent<Listed>): PolicyKey[];
  /** A remote's pods or namespaces: their changes are what the policy propagation histogram times. */
  remote: boolean;
}

/** One list+watch: where, what, into which store, and the Service keys its changes touch. */
export interface Watch {
  cluster: string;
  /** policy: a cluster's NetworkPolicies; remote: Pods (or Namespaces) only spanned policies read. */
  role: 'source' | 'destination' | 'policy' | 'remote';
  resource: Resource;
  path: string;
  labelSelector?: string;
  store: Store<Listed>;
  /** `known` lists every key the caches hold, for changes (a new Namespace) that touch many. */
  keysOf(e: StoreEvent<Listed>, known: () => ServiceKey[]): ServiceKey[];
  /** Set when spanned policies read this collection (networkPolicies: true). */
  policy?: PolicyWatch;
}

/** A source cluster's caches: one store per watched namespace (or one for all of them). */
export interface SourceCaches {
  cluster: string;
  config: ClusterConfig;
  services: Store<Service>[];
  slices: Store<EndpointSlice>[];
  /** Its Nodes' pod ranges, when the config names none. */
  nodes?: NodeRanges;
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
  /** Clusters that render companions (the destinations); empty unless networkPolicies is on. */
  policies: Map<string, PolicyCaches>;
  /** Clusters whose pods a spanned policy elsewhere may name; empty unless networkPolicies is on. */
  remotes: Map<string, RemoteCaches>;
  /** Which remotes each spanned policy names. */
  policyIndex: PolicyIndex;
  watches: Watch[];
  /** The Nodes watch of each cluster that needs one (nodeWatchedClusters), for every path. */
  nodes: Map<string, NodeRanges>;
}

/** The slice index: slices grouped by the Service they belong to (kubernetes.io/service-name). */
export const sliceService = (s: EndpointSlice): ServiceKey | undefined => serviceKeyOfSlice(s);

export function newSliceStore(): Store<EndpointSlice> {
  return new Store<EndpointSlice>(sliceService);
}

/** A source's slices keep only what replicas are rendered from (cache-projections.ts). */
export function newSourceSliceStore(): Store<EndpointSlice> {
  return new Store<EndpointSlice>(sliceService, sourceSliceForCache);
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
function watch<T extends Listed>(w: Omit<Watch, 'store' | 'keysOf' | 'policy'> & {
  store: Store<T>;
  keysOf: (e: StoreEvent<T>, known: () => ServiceKey[]) => ServiceKey[];
  policy?: { keysOf: (e: StoreEvent<T>) => PolicyKey[]; remote: boolean };
}): Watch {
  return w as unknown as Watch;
}

const noServiceKeys = (): ServiceKey[] => [];

/** The caches and watches of every cluster; `localCluster` (pull mode) is the only destination. */
export function topology(config: Config, localCluster?: string): Topology {
  const sources = new Map<string, SourceCaches>();
  const destinations = new Map<string, DestinationCaches>();
  const watches: Watch[] = [];
  const nodes = nodeRangesOf(config, localCluster);
  for (const c of config.clusters) {
    if (c.exports.length === 0) continue;
    const side: SourceCaches = { cluster: c.name, config: c, services: [], slices: [] };
    const ranges = nodes.get(c.name);
    if (ranges) side.nodes = ranges;
    for (const ns of sourceCollections(c)) {
      const services = new Store<Service>();
      const slices = newSourceSliceStore();
      side.services.push(services);
      side.slices.push(slices);
      watches.push(
        watch({ cluster: c.name, role: 'source', resource: 'services', path: PATHS.services(ns), store: services, keysOf: serviceEventKeys }),
        watch({ cluster: c.name, role: 'source', resource: 'endpointslices', path: PATHS.slices(ns), labelSelector: NOT_A_REPLICA_SELECTOR, store: slices, keysOf: sliceEventKeys }),
      );
    }
    sources.set(c.name, side);
  }
  const owned = replicaSelector(config.instance);
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
  const t: Topology = { sources, destinations, policies: new Map(), remotes: new Map(), policyIndex: new PolicyIndex(config), watches, nodes };
  if (config.networkPolicies) addPolicyWatches(config, t);
  return t;
}

/**
 * Companions' watches: NetworkPolicies where companions are rendered (the destinations), and
 * Pods and Namespaces of every cluster a policy there can name (any other configured cluster).
 */
function addPolicyWatches(config: Config, t: Topology): void {
  const index = t.policyIndex;
  for (const cluster of t.destinations.keys()) {
    const c: PolicyCaches = { cluster, policies: newPolicyStore(config.instance) };
    t.policies.set(cluster, c);
    t.watches.push(watch({
      cluster, role: 'policy', resource: 'networkpolicies', path: PATHS.networkPolicies(), store: c.policies, keysOf: noServiceKeys,
      policy: { keysOf: (e: StoreEvent<NetworkPolicy>) => networkPolicyEventKeys(cluster, config.instance, index, e), remote: false },
    }));
  }
  for (const { name: cluster } of config.clusters) {
    if (![...t.destinations.keys()].some((d) => d !== cluster)) continue; // no other cluster renders: nobody names it
    const seen = t.watches.find((w) => w.cluster === cluster && w.resource === 'namespaces');
    const namespaces = (seen?.store as Store<Namespace> | undefined) ?? new Store<Namespace>();
    const nsPolicy = { keysOf: (e: StoreEvent<Namespace>) => namespacePolicyKeys(cluster, index, e), remote: true };
    if (seen) seen.policy = nsPolicy as unknown as PolicyWatch;
    else t.watches.push(watch({ cluster, role: 'remote', resource: 'namespaces', path: PATHS.namespaces(), store: namespaces, keysOf: noServiceKeys, policy: nsPolicy }));
    const pods = new Store<Pod>(undefined, podForCache);
    t.watches.push(watch({
      cluster, role: 'remote', resource: 'pods', path: PATHS.pods(), store: pods, keysOf: noServiceKeys,
      policy: { keysOf: (e: StoreEvent<Pod>) => podEventKeys(cluster, index, e), remote: true },
    }));
    t.remotes.set(cluster, { cluster, pods, namespaces });
  }
}
