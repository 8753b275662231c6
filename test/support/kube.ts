// Small read helpers for integration tests: what a cluster holds, as plain objects.
import { readFileSync } from 'node:fs';
import { AuthorizationV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, KubernetesObjectApi, RbacAuthorizationV1Api, type KubernetesObject, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { ClusterInfo } from '../../harness/src/controlplane/cluster.ts';
import { kubeConfigFor, type Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { writeKubeconfig } from '../../harness/src/controlplane/kubeconfig.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';

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

/**
 * Creates every object of the given multi-document YAML files, in file order (so a Namespace
 * comes before what lives in it), replacing any that already exist: what `kubectl apply -f`
 * does for the repository's deploy/ manifests, without kubectl. `edit` adapts an object the
 * way a user following a file's comments would.
 */
export async function applyManifests(cluster: ClusterInfo, files: string[], edit: (obj: KubernetesObject) => KubernetesObject = (o) => o): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfigFor(cluster));
  const applied: KubernetesObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const parsed = doc.toJS() as KubernetesObject | null;
      if (!parsed) continue;
      const obj = edit(parsed);
      try {
        applied.push(await api.create(obj));
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
        const live = await api.read({ apiVersion: obj.apiVersion!, kind: obj.kind!, metadata: { name: obj.metadata!.name!, namespace: obj.metadata!.namespace } });
        applied.push(await api.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: live.metadata!.resourceVersion } }));
      }
    }
  }
  return applied;
}

/**
 * A kubeconfig that authenticates as an existing ServiceAccount with a bound token from the
 * TokenRequest API: the credential a real install hands to mcsync for another cluster.
 */
export async function serviceAccountKubeconfig(cluster: ClusterInfo, namespace: string, name: string, path: string, expirationSeconds = 3600): Promise<string> {
  const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: [], expirationSeconds } } });
  writeKubeconfig(path, cluster.name, cluster.server, cluster.caCertPath, { name: `${namespace}-${name}`, token: tr.status!.token });
  return path;
}

/**
 * Applies mcsync's install manifests to a cluster and returns a kubeconfig for its
 * ServiceAccount (mcsync-system/mcsync) there, once the RBAC authorizer honours the bindings
 * (it learns of them through its informers, a moment after the write).
 */
export async function installedServiceAccount(cluster: ClusterInfo, manifests: string[]): Promise<string> {
  await applyManifests(cluster, manifests);
  const path = await serviceAccountKubeconfig(cluster, 'mcsync-system', 'mcsync', writeConfig('', `${cluster.name}-mcsync.kubeconfig`));
  await waitFor(() => canI(path, { verb: 'create', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: 'default' }),
    { what: `the bindings to take effect in ${cluster.name}` });
  return path;
}

export interface Access {
  verb: string;
  resource: string;
  group?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Whether the identity of `kubeconfigPath` may do `a`, by the apiserver's own authorizer (SelfSubjectAccessReview). */
export async function canI(kubeconfigPath: string, a: Access): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: {
    spec: { resourceAttributes: { verb: a.verb, resource: a.resource, group: a.group ?? '', namespace: a.namespace, name: a.name, subresource: a.subresource } },
  } });
  return review.status?.allowed === true;
}

/** The replica slices' address → ready map in a destination, once it equals `want`. */
export async function replicasAre(dest: Apis, ns: string, svc: string, want: Record<string, boolean>, what: string): Promise<void> {
  const text = (m: Record<string, boolean>) => JSON.stringify(Object.entries(m).sort());
  await waitFor(async () => text(addressMap(await slicesOf(dest, ns, svc, REPLICA_SLICES))) === text(want), { what, timeoutMs: 60_000 });
}

/** Source slices settle asynchronously (the controller-manager writes them): wait for the IPs first. */
export async function sourceSettled(api: Apis, ns: string, svc: string, want: number): Promise<Record<string, boolean>> {
  return waitFor(async () => {
    const m = addressMap(await slicesOf(api, ns, svc));
    return Object.keys(m).length === want ? m : undefined;
  }, { what: `${want} endpoints for ${ns}/${svc}` });
}

/** The newest resourceVersion among objects (etcd's are increasing integers): a mark to wait for a watch to pass. */
export function newestResourceVersion(objs: { metadata?: { resourceVersion?: string } }[]): string {
  return objs.map((o) => BigInt(o.metadata?.resourceVersion ?? '0')).reduce((a, b) => (b > a ? b : a), 0n).toString();
}
