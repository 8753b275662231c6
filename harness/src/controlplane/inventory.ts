// A Cluster Inventory on harness clusters: the ClusterProfile CRD (deploy/inventory/crds/, as
// sigs.k8s.io/cluster-inventory-api ships it) on a hub, profiles that point at other harness
// clusters with a bound ServiceAccount token kept in a hub Secret, and the upstream
// `secretreader` exec plugin (built from the module, cached like the Kubernetes components)
// that reads that Secret and hands the token to mcsync.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { cacheRoot, runBuildScript } from './components.ts';
import { HarnessError } from '../util/errors.ts';
import type { ClusterInfo } from './cluster.ts';
import { kubeConfigFor } from '../workload/pods.ts';
import { waitFor } from '../util/wait.ts';

export const INVENTORY_API_MODULE = 'sigs.k8s.io/cluster-inventory-api';
export const INVENTORY_API_VERSION = 'v0.1.2';

const crdPath = fileURLToPath(new URL('../../../deploy/inventory/crds/multicluster.x-k8s.io_clusterprofiles.yaml', import.meta.url));
const buildScript = resolve(dirname(fileURLToPath(import.meta.url)), '../../build/build-inventory-plugin.sh');

export function inventoryBuildDir(): string {
  return join(cacheRoot(), `cluster-inventory-api-${INVENTORY_API_VERSION}`);
}

/** Whether the binary's Go build info names the pinned module (`dep <path> <version> <sum>`). */
export function pluginBuiltFromPin(path: string): boolean {
  try {
    return readFileSync(path).includes(`${INVENTORY_API_MODULE}\t${INVENTORY_API_VERSION}\t`);
  } catch {
    return false;
  }
}

/** The upstream secretreader plugin, built once from the module into the cache. */
export async function secretreaderPlugin(onProgress?: (line: string) => void): Promise<string> {
  const dir = inventoryBuildDir();
  const path = join(dir, 'bin', 'secretreader-plugin');
  if (pluginBuiltFromPin(path)) return path;
  const logPath = join(dir, 'build.log');
  mkdirSync(dir, { recursive: true });
  onProgress?.(`building secretreader-plugin (${INVENTORY_API_MODULE} ${INVENTORY_API_VERSION}) into ${dir}; log: ${logPath}`);
  await runBuildScript(['nice', '-n', '15', 'bash', buildScript], { MCSYNC_BUILD_DIR: dir, INVENTORY_API_VERSION }, logPath, 'secretreader-plugin');
  if (!pluginBuiltFromPin(path)) throw new HarnessError(`${path} was built but its build info does not name ${INVENTORY_API_MODULE} ${INVENTORY_API_VERSION}`);
  return path;
}

export function clusterProfileCrd(): V1CustomResourceDefinition {
  return parse(readFileSync(crdPath, 'utf8')) as V1CustomResourceDefinition;
}

/** Creates the ClusterProfile CRD on the hub (an existing one is kept) and waits until it is Established. */
export async function applyInventoryCrd(hub: Pick<ClusterInfo, 'name' | 'kubeconfigPath'>): Promise<void> {
  const api = kubeConfigFor(hub).makeApiClient(ApiextensionsV1Api);
  const body = clusterProfileCrd();
  try {
    await api.createCustomResourceDefinition({ body });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  const name = body.metadata!.name!;
  await waitFor(async () => {
    const got = await api.readCustomResourceDefinition({ name });
    return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  }, { what: `${hub.name}: CRD ${name} to be Established` });
}

/**
 * A ServiceAccount in `cluster` bound to cluster-admin (these are throwaway test clusters) and a
 * bound token for it: what a cluster manager would register for its hub to use.
 */
export async function adminToken(cluster: ClusterInfo, namespace: string, name: string, expirationSeconds = 3600): Promise<string> {
  const kc = kubeConfigFor(cluster);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const ignoreExists = (err: unknown): void => {
    if ((err as { code?: number }).code !== 409) throw err;
  };
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreExists);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }).catch(ignoreExists);
  await rbac.createClusterRoleBinding({ body: {
    metadata: { name: `${namespace}-${name}-admin` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', namespace, name }],
  } }).catch(ignoreExists);
  const tr = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: [], expirationSeconds } } });
  return tr.status!.token!;
}

/** Creates or replaces the Secret `<namespace>/<name>` with data.token: what secretreader reads for profile `name`. */
export async function putTokenSecret(hub: ClusterInfo, namespace: string, name: string, token: string): Promise<void> {
  const core = kubeConfigFor(hub).makeApiClient(CoreV1Api);
  const body = { metadata: { name, namespace }, type: 'Opaque', stringData: { token } };
  try {
    await core.createNamespacedSecret({ namespace, body });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    await core.replaceNamespacedSecret({ namespace, name, body });
  }
}

export interface ProfileSpec {
  name: string;
  /** The cluster the profile points at: its server and CA. */
  target: ClusterInfo;
  provider: string;
  labels?: Record<string, string>;
  properties?: Record<string, string>;
  healthy?: boolean;
  /** Extensions of the access provider's cluster entry. */
  extensions?: { name: string; extension: unknown }[];
}

/** The profile's status as a cluster manager writes it; the status subresource needs its own write. */
export function profileStatus(p: ProfileSpec): Record<string, unknown> {
  return {
    conditions: p.healthy === undefined ? [] : [{
      type: 'ControlPlaneHealthy', status: p.healthy ? 'True' : 'False', reason: p.healthy ? 'Healthy' : 'Unreachable',
      message: p.healthy ? 'the control plane answers' : 'no answer from the control plane', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }],
    properties: Object.entries(p.properties ?? {}).map(([name, value]) => ({ name, value })),
    accessProviders: [{
      name: p.provider,
      cluster: {
        server: p.target.server,
        'certificate-authority-data': readFileSync(p.target.caCertPath).toString('base64'),
        ...(p.extensions ? { extensions: p.extensions } : {}),
      },
    }],
  };
}

const GROUP = 'multicluster.x-k8s.io';
const VERSION = 'v1alpha1';
const PLURAL = 'clusterprofiles';

/** Creates (or replaces) a ClusterProfile and writes its status. */
export async function putProfile(hub: ClusterInfo, namespace: string, p: ProfileSpec): Promise<void> {
  const api = kubeConfigFor(hub).makeApiClient(CustomObjectsApi);
  const body = {
    apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterProfile',
    metadata: { name: p.name, namespace, labels: { 'x-k8s.io/cluster-manager': 'harness', ...(p.labels ?? {}) } },
    spec: { displayName: p.name, clusterManager: { name: 'harness' } },
  };
  let live: { metadata: { resourceVersion: string } };
  try {
    live = await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body }) as typeof live;
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    const cur = await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name: p.name }) as typeof live;
    live = await api.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name: p.name, body: { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } } }) as typeof live;
  }
  await api.replaceNamespacedCustomObjectStatus({
    group: GROUP, version: VERSION, namespace, plural: PLURAL, name: p.name,
    body: { ...body, metadata: { ...body.metadata, resourceVersion: live.metadata.resourceVersion }, status: profileStatus(p) },
  });
}

export async function deleteProfile(hub: ClusterInfo, namespace: string, name: string): Promise<void> {
  await kubeConfigFor(hub).makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
}

/** The KEP-5339 provider file for the secretreader plugin, reading its Secrets from the hub through `hubKubeconfig`. */
export function secretreaderProviderFile(plugin: string, hubKubeconfig: string, name = 'secretreader'): string {
  return JSON.stringify({
    providers: [{
      name,
      execConfig: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: plugin,
        args: null,
        // secretreader reads <namespace of the kubeconfig's context, else "default">/<clusterName>.
        env: [{ name: 'KUBECONFIG', value: hubKubeconfig }],
        provideClusterInfo: true,
      },
    }],
  }, null, 2);
}

export const API_APPROVED = 'api-approved.kubernetes.io';
/** An "unapproved" value is accepted (the CRD is then marked as not conforming to the approval policy). */
export const API_APPROVED_VALUE = 'unapproved, the upstream about-api CRD carries no approval annotation';

const aboutCrdPath = fileURLToPath(new URL('../../../deploy/about/crds/about.k8s.io_clusterproperties.yaml', import.meta.url));

/** Installs the About API CRD (deploy/about/crds/) and sets the cluster's ClusterProperty cluster.clusterset.k8s.io to `id`. */
export function setClusterId(cluster: ClusterInfo, id: string): Promise<void> {
  return setClusterProperty(cluster, 'cluster.clusterset.k8s.io', id);
}

/** Installs the About API CRD (deploy/about/crds/) if needed and sets one ClusterProperty of the cluster. */
export async function setClusterProperty(cluster: ClusterInfo, name: string, value: string): Promise<void> {
  const kc = kubeConfigFor(cluster);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const body = parse(readFileSync(aboutCrdPath, 'utf8')) as V1CustomResourceDefinition;
  // about.k8s.io is a protected *.k8s.io group: the apiserver refuses a CRD of it without this
  // annotation, and the upstream file has none (deploy/about/README.md).
  body.metadata!.annotations = { ...body.metadata!.annotations, [API_APPROVED]: API_APPROVED_VALUE };
  try {
    await ext.createCustomResourceDefinition({ body });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  await waitFor(async () => (await ext.readCustomResourceDefinition({ name: body.metadata!.name! })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
    { what: `${cluster.name}: the About API CRD to be Established` });
  const api = kc.makeApiClient(CustomObjectsApi);
  const property = { apiVersion: 'about.k8s.io/v1beta1', kind: 'ClusterProperty', metadata: { name }, spec: { value } };
  try {
    await api.createClusterCustomObject({ group: 'about.k8s.io', version: 'v1beta1', plural: 'clusterproperties', body: property });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    const cur = await api.getClusterCustomObject({ group: 'about.k8s.io', version: 'v1beta1', plural: 'clusterproperties', name: property.metadata.name }) as { metadata: { resourceVersion: string } };
    await api.replaceClusterCustomObject({ group: 'about.k8s.io', version: 'v1beta1', plural: 'clusterproperties', name: property.metadata.name, body: { ...property, metadata: { ...property.metadata, resourceVersion: cur.metadata.resourceVersion } } });
  }
}
