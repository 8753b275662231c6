// Reads what the pure core needs from one cluster, in a handful of list requests: the
// Services and EndpointSlices its export rules can select (source side) and the namespaces,
// Services and mcsync-owned slices that replicas are planned against (destination side).
import type { ClusterConfig } from '../config/types.ts';
import { NOT_A_REPLICA_SELECTOR, SERVICE_NAME, ownershipSelector } from '../vocab/labels.ts';
import type { DestinationSnapshot, SourceSnapshot } from '../model/types.ts';
import type { EndpointSlice, Namespace, Service } from '../vocab/objects.ts';
import type { KubeClient } from './client.ts';

export const PATHS = {
  services: (ns?: string) => (ns ? `/api/v1/namespaces/${ns}/services` : '/api/v1/services'),
  service: (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`,
  slices: (ns?: string) => (ns ? `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices` : '/apis/discovery.k8s.io/v1/endpointslices'),
  slice: (ns: string, name: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/${name}`,
  namespaces: () => '/api/v1/namespaces',
  namespace: (name: string) => `/api/v1/namespaces/${name}`,
};

/** The namespaces a cluster's export rules look at, or 'all' when a rule names none. */
export function sourceNamespaces(cluster: ClusterConfig): string[] | 'all' {
  if (cluster.exports.some((r) => r.namespace === undefined)) return 'all';
  return [...new Set(cluster.exports.map((r) => r.namespace!))].sort();
}

/** The namespaces to list and watch for a source: each one in scope, or undefined for all at once. */
export function sourceCollections(cluster: ClusterConfig): (string | undefined)[] {
  const scope = sourceNamespaces(cluster);
  return scope === 'all' ? [undefined] : scope;
}

export async function readSource(client: KubeClient, cluster: ClusterConfig): Promise<SourceSnapshot> {
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
      const owner = s.metadata.labels?.[SERVICE_NAME];
      if (!owner) continue;
      const key = `${s.metadata.namespace}/${owner}`;
      const list = slices.get(key);
      if (list) list.push(s);
      else slices.set(key, [s]);
    }
  }));
  return { cluster: cluster.name, services, slices };
}

export async function readDestination(client: KubeClient, cluster: string, instance: string): Promise<DestinationSnapshot> {
  const [ns, svc, owned] = await Promise.all([
    client.list<Namespace>(PATHS.namespaces()),
    client.list<Service>(PATHS.services()),
    client.list<EndpointSlice>(PATHS.slices(), { labelSelector: ownershipSelector(instance) }),
  ]);
  return {
    cluster,
    namespaces: new Set(ns.items.map((n) => n.metadata.name)),
    services: svc.items,
    ownedSlices: owned.items,
  };
}
