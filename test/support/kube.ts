// Small read helpers for integration tests: what a cluster holds, as plain objects.
import { CoreV1Api, DiscoveryV1Api, RbacAuthorizationV1Api, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import type { ClusterInfo } from '../../harness/src/cluster.ts';
import { kubeConfigFor, type Pods } from '../../harness/src/pods.ts';
import { writeKubeconfig } from '../../harness/src/pki.ts';

export interface Apis {
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
}

export function apis(cluster: ClusterInfo): Apis {
  const kc = kubeConfigFor(cluster);
  return { core: kc.makeApiClient(CoreV1Api), discovery: kc.makeApiClient(DiscoveryV1Api) };
}

export async function getService(a: Apis, namespace: string, name: string): Promise<V1Service | undefined> {
  return a.core.readNamespacedService({ namespace, name }).catch((e: { code?: number }) => {
    if (e.code === 404) return undefined;
    throw e;
  });
}

export async function slicesOf(a: Apis, namespace: string, service: string, extraSelector = ''): Promise<V1EndpointSlice[]> {
  const sel = `kubernetes.io/service-name=${service}${extraSelector ? `,${extraSelector}` : ''}`;
  return (await a.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: sel })).items;
}

export const REPLICA_SLICES = 'endpointslice.kubernetes.io/managed-by=mcsync.io';

/** address -> ready, over the given slices. */
export function addressMap(slices: V1EndpointSlice[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const s of slices) for (const e of s.endpoints ?? []) for (const a of e.addresses) out[a] = e.conditions?.ready !== false;
  return out;
}

export function sorted<T>(xs: T[]): T[] {
  return [...xs].sort();
}

/**
 * A kubeconfig for a ServiceAccount bound to a ClusterRole with exactly `rules`, authenticated
 * by a bound token: how tests run mcsync with less than admin rights.
 */
export async function restrictedKubeconfig(
  cluster: ClusterInfo,
  name: string,
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[],
  path: string,
): Promise<string> {
  const kc = kubeConfigFor(cluster);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const namespace = 'kube-system';
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await rbac.createClusterRole({ body: { metadata: { name }, rules } });
  await rbac.createClusterRoleBinding({ body: {
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  } });
  const tr = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  writeKubeconfig(path, cluster.name, cluster.server, cluster.caCertPath, { name, token: tr.status!.token });
  return path;
}

/**
 * A Service selecting `app=<name>` with one pod (`<name>-0`) behind it, in a namespace made if
 * missing: the smallest thing worth exporting. Returns the pod's IP.
 */
export async function serviceWithPod(pods: Pods, namespace: string, name: string, port = 80): Promise<string> {
  await pods.ensureNamespace(namespace);
  await pods.core.createNamespacedService({ namespace, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port }] } } });
  return (await pods.create({ namespace, name: `${name}-0`, labels: { app: name } })).status!.podIP!;
}
