// What the controller watches for the Multi-Cluster Services API (config `mcs: true`), and
// which multi-cluster service keys ("mcs:<namespace>/<name>") a change touches.
//
// Every cluster may export: its ServiceExports, its Services (not mcsync's) and its slices
// (not replicas) are watched in every namespace. Every cluster mcsync writes to (all of them,
// or only the local one in pull mode) is watched for what this instance wrote for imports:
// ServiceImports, derived Services and their slices, each grouped by the import's name.
import type { Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { sourceSliceForCache } from '../../model/cache-projections.ts';
import { ANY_IMPORT_SELECTOR, isOwned, MCS_IMPORT, NOT_A_REPLICA_SELECTOR, OWNED_BY, OWNED_BY_VALUE, importSelector } from '../../vocab/labels.ts';
import { namespaceOf, serviceKey, serviceKeyOfSlice, storeKey, type ServiceKey } from '../../vocab/keys.ts';
import type { ServiceExport, ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Namespace, Service } from '../../vocab/objects.ts';
import { PATHS } from '../../kube/read.ts';
import { Store, type Listed, type StoreEvent } from '../../kube/store.ts';
import type { NodeRanges } from './node-ranges.ts';

export type McsKey = string;
const PREFIX = 'mcs:';

/** A namespace never contains ':', so the prefix keeps these apart from Service keys. */
export function mcsKey(namespace: string, name: string): McsKey {
  return `${PREFIX}${serviceKey(namespace, name)}`;
}

export function isMcsKey(key: string): key is McsKey {
  return key.startsWith(PREFIX);
}

/** The "namespace/name" of the multi-cluster service. */
export function mcsServiceKey(key: McsKey): ServiceKey {
  return key.slice(PREFIX.length);
}

/** One cluster as a possible exporter. */
export interface McsSourceCaches {
  cluster: string;
  exports: Store<ServiceExport>;
  /** Services that are not mcsync's: what an export can name. */
  services: Store<Service>;
  /** Indexed by the Service they belong to. */
  slices: Store<EndpointSlice>;
  /** Its Nodes' pod ranges, when the config names none (the replica path's watch, shared). */
  nodes?: NodeRanges;
}

/** One cluster mcsync writes imports to. */
export interface McsDestinationCaches {
  cluster: string;
  /** Every ServiceImport, whoever wrote it. */
  imports: Store<ServiceImport>;
  /** Derived Services of any mcsync instance, indexed by their import's key. */
  derived: Store<Service>;
  /** This instance's slices of imports, indexed by their import's key. */
  slices: Store<EndpointSlice>;
}

export interface McsTopology {
  sources: Map<string, McsSourceCaches>;
  destinations: Map<string, McsDestinationCaches>;
}

export interface McsWatch {
  cluster: string;
  resource: 'serviceexports' | 'services' | 'endpointslices' | 'serviceimports';
  role: 'source' | 'destination';
  path: string;
  labelSelector?: string;
  store: Store<Listed>;
  keysOf(e: StoreEvent<Listed>): McsKey[];
}

/** The import an object was written for, as a key of the store's index. */
const importOf = (o: { metadata: { namespace?: string; labels?: Record<string, string> } }): string | undefined => {
  const name = o.metadata.labels?.[MCS_IMPORT];
  return name ? serviceKey(namespaceOf(o.metadata), name) : undefined;
};

function keysFrom<T extends Listed>(of: (o: T) => string | undefined): (e: StoreEvent<T>) => McsKey[] {
  return (e) => {
    const keys = new Set<string>();
    if (e.type === 'modified') {
      const before = of(e.old);
      if (before) keys.add(`${PREFIX}${before}`);
    }
    const now = of(e.object);
    if (now) keys.add(`${PREFIX}${now}`);
    return [...keys];
  };
}

function mcsWatch<T extends Listed>(w: Omit<McsWatch, 'store' | 'keysOf'> & { store: Store<T>; keysOf: (e: StoreEvent<T>) => McsKey[] }): McsWatch {
  return w as unknown as McsWatch;
}

const byName = (o: Listed) => storeKey(o as { metadata: { name: string; namespace?: string } });

/** `nodes`: the Nodes watches topology() declared, one per cluster for both paths. */
export function mcsTopology(config: Config, localCluster?: string, nodes: ReadonlyMap<string, NodeRanges> = new Map()): { topology: McsTopology; watches: McsWatch[] } {
  const sources = new Map<string, McsSourceCaches>();
  const destinations = new Map<string, McsDestinationCaches>();
  const watches: McsWatch[] = [];
  for (const { name: cluster } of config.clusters) {
    const s: McsSourceCaches = { cluster, exports: new Store(), services: new Store(), slices: new Store<EndpointSlice>(serviceKeyOfSlice, sourceSliceForCache) };
    const ranges = nodes.get(cluster);
    if (ranges) s.nodes = ranges;
    sources.set(cluster, s);
    watches.push(
      mcsWatch({ cluster, role: 'source', resource: 'serviceexports', path: PATHS.serviceExports(), store: s.exports, keysOf: keysFrom(byName) }),
      mcsWatch({ cluster, role: 'source', resource: 'services', path: PATHS.services(), labelSelector: `${OWNED_BY}!=${OWNED_BY_VALUE}`, store: s.services, keysOf: keysFrom(byName) }),
      mcsWatch({ cluster, role: 'source', resource: 'endpointslices', path: PATHS.slices(), labelSelector: NOT_A_REPLICA_SELECTOR, store: s.slices, keysOf: keysFrom(serviceKeyOfSlice) }),
    );
  }
  for (const { name: cluster } of config.clusters) {
    if (localCluster !== undefined && localCluster !== cluster) continue;
    const d: McsDestinationCaches = { cluster, imports: new Store(), derived: new Store<Service>(importOf), slices: new Store<EndpointSlice>(importOf) };
    destinations.set(cluster, d);
    watches.push(
      // Every ServiceImport and every instance's derived Services: one that is not this
      // instance's is a conflict to report, not a name to write over.
      mcsWatch({ cluster, role: 'destination', resource: 'serviceimports', path: PATHS.serviceImports(), store: d.imports, keysOf: keysFrom(byName) }),
      mcsWatch({ cluster, role: 'destination', resource: 'services', path: PATHS.services(), labelSelector: ANY_IMPORT_SELECTOR, store: d.derived, keysOf: keysFrom(importOf) }),
      mcsWatch({ cluster, role: 'destination', resource: 'endpointslices', path: PATHS.slices(), labelSelector: importSelector(config.instance), store: d.slices, keysOf: keysFrom(importOf) }),
    );
  }
  return { topology: { sources, destinations }, watches };
}

/** Every multi-cluster service any cache knows of, sorted: what a full resync reconciles. */
export function allMcsKeys(t: McsTopology, instance?: string): McsKey[] {
  const keys = new Set<string>();
  for (const s of t.sources.values()) for (const k of s.exports.keys()) keys.add(`${PREFIX}${k}`);
  for (const d of t.destinations.values()) {
    for (const k of d.imports.keys()) if (instance === undefined || isOwned(d.imports.get(k)!.metadata, instance)) keys.add(`${PREFIX}${k}`);
    for (const k of d.derived.indexValues()) keys.add(`${PREFIX}${k}`);
    for (const k of d.slices.indexValues()) keys.add(`${PREFIX}${k}`);
  }
  return [...keys].sort(cmp);
}

/** The multi-cluster services `cluster` exports: what a change of its pod ranges touches. */
export function mcsKeysExportedBy(t: McsTopology, cluster: string): McsKey[] {
  return [...(t.sources.get(cluster)?.exports.keys() ?? [])].map((k) => `${PREFIX}${k}`).sort(cmp);
}

/** A new namespace may be where an import now belongs: every exported service of that namespace. */
export function mcsKeysOfNamespace(t: McsTopology, e: StoreEvent<Namespace>): McsKey[] {
  if (e.type !== 'added') return [];
  const prefix = `${PREFIX}${e.object.metadata.name}/`;
  return allMcsKeys(t).filter((k) => k.startsWith(prefix));
}
