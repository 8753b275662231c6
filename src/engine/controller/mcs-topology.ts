// What the controller watches for the Multi-Cluster Services API (config `mcs: true`), and
// which multi-cluster service keys ("mcs:<namespace>/<name>") a change touches.
//
// Every cluster may export: its ServiceExports, its Services (not mcsync's) and its slices
// (not replicas) are watched in every namespace. Every cluster mcsync writes to (all of them,
// or only the local one in pull mode) is watched for what this instance wrote for imports:
// ServiceImports, derived Services and their slices, each grouped by the import's name.
import type { Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { ANY_IMPORT_SELECTOR, isOwned, MCS_IMPORT, NOT_A_REPLICA_SELECTOR, importSelector } from '../../vocab/labels.ts';
import { namespaceOf, serviceKey, serviceKeyOfSlice, storeKey, type ServiceKey } from '../../vocab/keys.ts';
import type { ServiceExport, ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Namespace, Service } from '../../vocab/objects.ts';
import { PATHS } from '../../kube/read.ts';
import type { CacheStore, Listed, StoreEvent } from '../../kube/store.ts';
import { InformerRegistry } from './informers.ts';
import type { NodeRanges } from './node-ranges.ts';
import { NOT_MCSYNC_SELECTOR, SLICE_SERVICE, SOURCE_SLICE, namespacesNeed } from './topology.ts';

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
  exports: CacheStore<ServiceExport>;
  /** Services that are not mcsync's: what an export can name. */
  services: CacheStore<Service>;
  /** Indexed by the Service they belong to. */
  slices: CacheStore<EndpointSlice>;
  /** Its Nodes' pod ranges, when the config names none (the replica path's watch, shared). */
  nodes?: NodeRanges;
}

/** One cluster mcsync writes imports to. */
export interface McsDestinationCaches {
  cluster: string;
  /** Every ServiceImport, whoever wrote it. */
  imports: CacheStore<ServiceImport>;
  /** Derived Services of any mcsync instance, indexed by their import's key. */
  derived: CacheStore<Service>;
  /** This instance's slices of imports, indexed by their import's key. */
  slices: CacheStore<EndpointSlice>;
  /** The cluster's namespaces (shared with the other capabilities): where an import may be written. */
  namespaces: CacheStore<Namespace>;
}

export interface McsTopology {
  sources: Map<string, McsSourceCaches>;
  destinations: Map<string, McsDestinationCaches>;
}

/** The import an object was written for, as a key of the store's index. */
const importOf = (o: Listed): string | undefined => {
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

const byName = (o: Listed) => storeKey(o);
const IMPORT_INDEX = { name: 'import', of: importOf };

/** What the imports capability reads of one cluster as a possible exporter. */
export function declareMcsSource(registry: InformerRegistry, cluster: string, nodes: ReadonlyMap<string, NodeRanges>, on?: (keys: McsKey[]) => void): McsSourceCaches {
  const fire = firing(on);
  const s: McsSourceCaches = {
    cluster,
    exports: registry.need<ServiceExport>({ cluster, resource: 'serviceexports', path: PATHS.serviceExports }, fire(byName)),
    services: registry.need<Service>({ cluster, resource: 'services', path: PATHS.services, labelSelector: NOT_MCSYNC_SELECTOR }, fire(byName)),
    slices: registry.need<EndpointSlice>({ cluster, resource: 'endpointslices', path: PATHS.slices, labelSelector: NOT_A_REPLICA_SELECTOR, index: SLICE_SERVICE, projection: SOURCE_SLICE }, fire(serviceKeyOfSlice)),
  };
  const ranges = nodes.get(cluster);
  if (ranges) s.nodes = ranges;
  return s;
}

/** What the imports capability reads of one cluster it writes imports to. */
export function declareMcsDestination(registry: InformerRegistry, config: Config, cluster: string, t: McsTopology, on?: (keys: McsKey[]) => void): McsDestinationCaches {
  const fire = firing(on);
  const namespaces = namespacesNeed(registry, cluster);
  // A namespace appearing is where an import may now belong.
  registry.subscribe(namespaces, (e) => on?.(mcsKeysOfNamespace(t, e)));
  return {
    cluster,
    // Every ServiceImport and every instance's derived Services: one that is not this
    // instance's is a conflict to report, not a name to write over.
    imports: registry.need<ServiceImport>({ cluster, resource: 'serviceimports', path: PATHS.serviceImports }, fire(byName)),
    derived: registry.need<Service>({ cluster, resource: 'services', path: PATHS.services, labelSelector: ANY_IMPORT_SELECTOR, index: IMPORT_INDEX }, fire(importOf)),
    slices: registry.need<EndpointSlice>({ cluster, resource: 'endpointslices', path: PATHS.slices, labelSelector: importSelector(config.instance), index: IMPORT_INDEX }, fire(importOf)),
    namespaces,
  };
}

function firing(on?: (keys: McsKey[]) => void) {
  return <T extends Listed>(of: (o: T) => string | undefined) => {
    const keys = keysFrom(of);
    return (e: StoreEvent<T>) => on?.(keys(e));
  };
}

/**
 * Declares what the imports capability reads; `nodes` are the shared Nodes watches. Without a
 * registry (tests), one of its own is made and sealed. `on` gets the keys each change touches.
 */
export function mcsTopology(config: Config, localCluster?: string, nodes: ReadonlyMap<string, NodeRanges> = new Map(), informers?: InformerRegistry, on?: (keys: McsKey[]) => void): McsTopology {
  const registry = informers ?? new InformerRegistry();
  const sources = new Map<string, McsSourceCaches>();
  const destinations = new Map<string, McsDestinationCaches>();
  for (const { name: cluster } of config.clusters) sources.set(cluster, declareMcsSource(registry, cluster, nodes, on));
  const t: McsTopology = { sources, destinations };
  for (const { name: cluster } of config.clusters) {
    if (localCluster !== undefined && localCluster !== cluster) continue;
    destinations.set(cluster, declareMcsDestination(registry, config, cluster, t, on));
  }
  if (!informers) registry.seal();
  return t;
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
