// Reads what the pure core needs from one cluster, in a handful of list requests: the
// Services and EndpointSlices its export rules can select (source side) and the namespaces,
// Services and mcsync-owned slices that replicas are planned against (destination side).
import { ABOUT_API_VERSION, type ClusterProperty } from '../vocab/inventory.ts';
import { ZONE_LABEL } from '../vocab/labels.ts';
import type { ClusterConfig } from '../config/types.ts';
import { cmp } from '../model/canonical.ts';
import { ANY_IMPORT_SELECTOR, NOT_A_REPLICA_SELECTOR, OWNED_BY, OWNED_BY_VALUE, importSelector, isOwned, replicaSelector } from '../vocab/labels.ts';
import { MCS_API_VERSION, type ServiceExport, type ServiceImport } from '../vocab/mcs.ts';
import type { McsRead } from '../model/mcs/fleet.ts';
import { serviceKeyOfSlice } from '../vocab/keys.ts';
import type { DestinationSnapshot, SourceSnapshot } from '../model/types.ts';
import type { RemotePods } from '../model/policy/types.ts';
import type { EndpointSlice, Namespace, NetworkPolicy, Node, Pod, Service } from '../vocab/objects.ts';
import { nodePodCidrs } from '../model/node-cidrs.ts';
import { KubeApiError, type KubeClient } from './client.ts';

/** One path segment, URL-encoded: names are validated by the apiserver, but a path is built from whatever a config or an object says. */
const seg = (s: string): string => encodeURIComponent(s);

export const PATHS = {
  services: (ns?: string) => (ns ? `/api/v1/namespaces/${seg(ns)}/services` : '/api/v1/services'),
  service: (ns: string, name: string) => `/api/v1/namespaces/${seg(ns)}/services/${seg(name)}`,
  slices: (ns?: string) => (ns ? `/apis/discovery.k8s.io/v1/namespaces/${seg(ns)}/endpointslices` : '/apis/discovery.k8s.io/v1/endpointslices'),
  slice: (ns: string, name: string) => `/apis/discovery.k8s.io/v1/namespaces/${seg(ns)}/endpointslices/${seg(name)}`,
  namespaces: () => '/api/v1/namespaces',
  namespace: (name: string) => `/api/v1/namespaces/${seg(name)}`,
  networkPolicies: (ns?: string) => (ns ? `/apis/networking.k8s.io/v1/namespaces/${seg(ns)}/networkpolicies` : '/apis/networking.k8s.io/v1/networkpolicies'),
  networkPolicy: (ns: string, name: string) => `/apis/networking.k8s.io/v1/namespaces/${seg(ns)}/networkpolicies/${seg(name)}`,
  pods: () => '/api/v1/pods',
  nodes: () => '/api/v1/nodes',
  events: (ns: string) => `/api/v1/namespaces/${seg(ns)}/events`,
  serviceExports: (ns?: string) => (ns ? `/apis/${MCS_API_VERSION}/namespaces/${seg(ns)}/serviceexports` : `/apis/${MCS_API_VERSION}/serviceexports`),
  serviceExport: (ns: string, name: string) => `/apis/${MCS_API_VERSION}/namespaces/${seg(ns)}/serviceexports/${seg(name)}`,
  serviceImports: (ns?: string) => (ns ? `/apis/${MCS_API_VERSION}/namespaces/${seg(ns)}/serviceimports` : `/apis/${MCS_API_VERSION}/serviceimports`),
  serviceImport: (ns: string, name: string) => `/apis/${MCS_API_VERSION}/namespaces/${seg(ns)}/serviceimports/${seg(name)}`,
};

/**
 * The collections to list and watch for a source: each namespace its export rules look at, or
 * one undefined (every namespace at once) when a rule names none.
 */
export function sourceCollections(cluster: ClusterConfig): (string | undefined)[] {
  if (cluster.exports.some((r) => r.namespace === undefined)) return [undefined];
  return [...new Set(cluster.exports.map((r) => r.namespace!))].sort(cmp);
}

/** The pod CIDRs a cluster's Nodes declare, asked for once however many reads of the cluster want them. */
export type NodeCidrsOnce = (() => Promise<string[] | undefined>) & {
  /** The distinct zone labels of the Nodes, from the same list; undefined when they cannot be listed. */
  zones(): Promise<string[] | undefined>;
};

/** Lists the Nodes at most once, on the first call, and answers every call from that list. */
export function nodeCidrsOnce(client: KubeClient): NodeCidrsOnce {
  let read: Promise<Node[] | undefined> | undefined;
  const nodes = () => (read ??= client.list<Node>(PATHS.nodes()).then((l) => l.items, () => undefined));
  return Object.assign(async () => {
    const list = await nodes();
    return list && nodePodCidrs(list);
  }, {
    zones: async () => {
      const list = await nodes();
      return list && [...new Set(list.map((n) => n.metadata.labels?.[ZONE_LABEL]).filter((z): z is string => !!z))].sort(cmp);
    },
  });
}

export async function readSource(client: KubeClient, cluster: ClusterConfig, nodes: NodeCidrsOnce = nodeCidrsOnce(client)): Promise<SourceSnapshot> {
  const namespaces = sourceCollections(cluster);
  const services: Service[] = [];
  const slices = new Map<string, EndpointSlice[]>();
  await Promise.all(namespaces.map(async (ns) => {
    const [svc, sl] = await Promise.all([
      client.list<Service>(PATHS.services(ns)),
      client.list<EndpointSlice>(PATHS.slices(ns), { labelSelector: NOT_A_REPLICA_SELECTOR }),
    ]);
    services.push(...svc.items);
    for (const s of sl.items) {
      const key = serviceKeyOfSlice(s);
      if (!key) continue;
      const list = slices.get(key);
      if (list) list.push(s);
      else slices.set(key, [s]);
    }
  }));
  const snapshot: SourceSnapshot = { cluster: cluster.name, services, slices };
  if (cluster.podCIDRs === undefined && cluster.exports.length > 0) {
    const cidrs = await nodes();
    if (cidrs !== undefined) snapshot.podCidrs = cidrs;
  }
  return snapshot;
}

/**
 * The pod CIDRs a source's Nodes declare, undefined when none does or the Nodes cannot be listed:
 * the endpoint guard's range check is then off for this cluster (reported, never fatal), so a
 * credential without `list nodes` keeps working as before.
 */
export async function readNodePodCidrs(client: KubeClient): Promise<string[] | undefined> {
  try {
    return nodePodCidrs((await client.list<Node>(PATHS.nodes())).items);
  } catch {
    return undefined;
  }
}

export async function readDestination(client: KubeClient, cluster: string, instance: string): Promise<DestinationSnapshot> {
  const [ns, svc, owned] = await Promise.all([
    client.list<Namespace>(PATHS.namespaces()),
    client.list<Service>(PATHS.services()),
    client.list<EndpointSlice>(PATHS.slices(), { labelSelector: replicaSelector(instance) }),
  ]);
  return {
    cluster,
    namespaces: new Set(ns.items.map((n) => n.metadata.name)),
    services: svc.items,
    ownedSlices: owned.items,
  };
}

/** A cluster's NetworkPolicies (every one: a user's policy may sit in any namespace) and this instance's companions among them. */
export async function readPolicies(client: KubeClient, instance: string): Promise<{ policies: NetworkPolicy[]; companions: NetworkPolicy[] }> {
  // One list serves both: companions are the owned part of it.
  const all = await client.list<NetworkPolicy>(PATHS.networkPolicies());
  return { policies: all.items, companions: all.items.filter((p) => isOwned(p.metadata, instance)) };
}

/** What a remote cluster holds that spanned policies' peers can match: all its pods and namespaces. */
export async function readRemotePods(client: KubeClient, cluster: string): Promise<RemotePods> {
  const [pods, namespaces] = await Promise.all([
    client.list<Pod>(PATHS.pods()),
    client.list<Namespace>(PATHS.namespaces()),
  ]);
  return { cluster, pods: pods.items, namespaces: namespaces.items };
}

/** A cluster without the MCS CRDs answers 404 for their collections: said in words, with the fix. */
export class McsApiMissing extends Error {
  override name = 'McsApiMissing';
}

async function listMcs<T>(client: KubeClient, path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
  try {
    return (await client.list<T>(path, query)).items;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) throw new McsApiMissing('the Multi-Cluster Services API is not served (install deploy/mcs/crds/)');
    throw err;
  }
}

/**
 * What the MCS API needs of one cluster: its exports and what they name, and (the config naming
 * no podCIDRs for it) its Nodes' pod ranges, as readSource; where mcsync writes, what it wrote
 * for imports.
 */
export async function readMcs(client: KubeClient, cluster: ClusterConfig, instance: string, written: boolean, nodes: NodeCidrsOnce = nodeCidrsOnce(client)): Promise<McsRead> {
  const [exports, services, slices] = await Promise.all([
    listMcs<ServiceExport>(client, PATHS.serviceExports()),
    client.list<Service>(PATHS.services(), { labelSelector: `${OWNED_BY}!=${OWNED_BY_VALUE}` }).then((l) => l.items),
    client.list<EndpointSlice>(PATHS.slices(), { labelSelector: NOT_A_REPLICA_SELECTOR }).then((l) => l.items),
  ]);
  const read: McsRead = { cluster: cluster.name, exports, services, slices };
  // Only a cluster that exports something has endpoints to bound.
  if (cluster.podCIDRs === undefined && exports.length > 0) {
    const cidrs = await nodes();
    if (cidrs !== undefined) read.podCidrs = cidrs;
  }
  if (written) {
    const [ns, imports, derived, importSlices] = await Promise.all([
      client.list<Namespace>(PATHS.namespaces()).then((l) => l.items),
      // Every import and every instance's derived Services: another's is a conflict to report.
      listMcs<ServiceImport>(client, PATHS.serviceImports()),
      client.list<Service>(PATHS.services(), { labelSelector: ANY_IMPORT_SELECTOR }).then((l) => l.items),
      client.list<EndpointSlice>(PATHS.slices(), { labelSelector: importSelector(instance) }).then((l) => l.items),
    ]);
    read.written = { namespaces: new Set(ns.map((n) => n.metadata.name)), imports, derived, slices: importSlices };
  }
  return read;
}

/** A cluster's ClusterProperty objects (name → value); undefined when it has no About API or they may not be read. */
export async function readClusterProperties(client: KubeClient): Promise<Record<string, string> | undefined> {
  try {
    const list = await client.list<ClusterProperty>(`/apis/${ABOUT_API_VERSION}/clusterproperties`);
    return Object.fromEntries(list.items.map((p) => [p.metadata.name, p.spec?.value ?? '']));
  } catch {
    return undefined;
  }
}
