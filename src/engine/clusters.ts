// Connects to every configured cluster and proves each is reachable and answers as Kubernetes
// before anything is read or written. A cluster that does not is *unavailable*: commands that
// write refuse to start (connectAll), read-only views carry on without it (connectAvailable),
// and the planner is told so it keeps that cluster's replicas instead of collecting them.
// Failures name the config file, line and field of the cluster's kubeconfig, never a credential.
import { ConfigError, type ConfigIssue } from '../config/load.ts';
import type { Config, ClusterConfig } from '../config/types.ts';
import { KubeApiError, KubeClient, type ClientOptions } from '../kube/client.ts';
import { MCS_API_VERSION } from '../vocab/mcs.ts';
import { ABOUT_API_VERSION, CLUSTER_ID_PROPERTY, type ClusterProperty } from '../vocab/inventory.ts';
import { classifyFailure, type Failure } from '../kube/failure.ts';

export interface Connected {
  config: ClusterConfig;
  client: KubeClient;
  version: string;
}

/** A configured cluster that could not be connected, and why. */
export interface ConnectFailure extends Failure {
  cluster: string;
  /** The apiserver address, when the kubeconfig could be read. */
  server?: string;
  /** Where the cluster's kubeconfig is named in the config file. */
  issue: ConfigIssue;
}

export interface Fleet {
  connected: Map<string, Connected>;
  /** In config order. */
  unavailable: ConnectFailure[];
}

export interface ConnectOptions {
  timeoutMs?: number;
  maxSockets?: number;
}

/** The one way mcsync builds a client from a cluster's config. */
export function clientFor(c: ClusterConfig, opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): KubeClient {
  if (c.access) return KubeClient.fromAccess(c.name, c.access, opts);
  if (!c.inCluster) return KubeClient.fromFile(c.name, c.kubeconfig, c.context, opts);
  return inPodClient(c.name, 'the cluster', opts, env);
}

/**
 * The pod's ServiceAccount, for a config place without kubeconfig: (`what` says which, for the
 * fix). Kubernetes sets these variables in every pod; without them client-node builds
 * "https://undefined:undefined".
 */
export function inPodClient(name: string, what: string, opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): KubeClient {
  if (!env['KUBERNETES_SERVICE_HOST'] || !env['KUBERNETES_SERVICE_PORT']) {
    throw new Error(`this is not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set): give ${what} a kubeconfig: PATH`);
  }
  return KubeClient.inCluster(name, opts);
}

/** Failures that happen before any request is sent: the apiserver was not contacted at all. */
const beforeContact = (kind: Failure['kind']) => kind === 'auth-plugin' || kind === 'credential-file';

/** For commands that write: every cluster connects, or nothing happens (ConfigError). */
export async function connectAll(config: Config, opts: ConnectOptions = {}): Promise<Map<string, Connected>> {
  const fleet = await connectAvailable(config, opts);
  if (fleet.unavailable.length > 0) {
    closeAll(fleet.connected);
    throw new ConfigError(fleet.unavailable.map((u) => u.issue));
  }
  return fleet.connected;
}

/** For read-only views: what can be reached, and why the rest cannot. */
export async function connectAvailable(config: Config, opts: ConnectOptions = {}): Promise<Fleet> {
  const failures = new Map<string, ConnectFailure>();
  const connected = new Map<string, Connected>();
  await Promise.all(config.clusters.map(async (c) => {
    let client: KubeClient;
    try {
      client = clientFor(c, { maxSockets: opts.maxSockets ?? Math.max(8, config.concurrency * 2) });
    } catch (err) {
      const what = c.access ? `ClusterProfile ${c.access.profile} (provider "${c.access.provider}")` : c.inCluster ? 'the in-cluster ServiceAccount (no kubeconfig given)' : `kubeconfig ${c.kubeconfig}`;
      const f = { ...classifyFailure(err), kind: 'kubeconfig' as const };
      failures.set(c.name, { ...f, cluster: c.name, issue: { ...c.kubeconfigPos, message: `cluster ${c.name}: cannot use ${what}: ${f.message}` } });
      return;
    }
    try {
      const v = await client.request<{ gitVersion: string }>('GET', '/version', { timeoutMs: opts.timeoutMs ?? 10_000 });
      // With mcs on, a cluster without the MCS API could neither export nor import: said now, before any write.
      if (config.mcs && !(await servesMcs(client, opts.timeoutMs ?? 10_000))) {
        client.close();
        const message = `mcs: true, but the Multi-Cluster Services API (${MCS_API_VERSION}) is not served there: kubectl apply -f deploy/mcs/crds/ (docs/mcs.md)`;
        failures.set(c.name, { kind: 'http', status: 404, message, cluster: c.name, server: client.server, issue: { ...c.kubeconfigPos, message: `cluster ${c.name}: ${message}` } });
        return;
      }
      // Its id, where the About API gives it one (model/cluster-id.ts): learned here, once, like its version.
      const id = await readClusterId(client, opts.timeoutMs ?? 10_000);
      if (id !== undefined && id !== c.name) c.id = id;
      else delete c.id;
      connected.set(c.name, { config: c, client, version: v.gitVersion });
    } catch (err) {
      client.close();
      const f = classifyFailure(err);
      const message = f.kind === 'forbidden' ? 'the credentials are valid but may not read /version (403 Forbidden)' : f.message;
      const said = beforeContact(f.kind)
        ? `cluster ${c.name} was not contacted (no request sent to ${client.server}): ${message}`
        : `cluster ${c.name} cannot be reached at ${client.server}: ${message}`;
      failures.set(c.name, { ...f, message, cluster: c.name, server: client.server, issue: { ...c.kubeconfigPos, message: said } });
    }
  }));
  dropSharedIds(config.clusters);
  const unavailable = config.clusters.flatMap((c) => failures.get(c.name) ?? []);
  return { connected, unavailable };
}

/**
 * Two clusters claiming one id would have their replicas taken for each other's: such ids are
 * not used (the clusters keep their names as ids) and doctor's cluster-ids check fails.
 */
export function dropSharedIds(clusters: ClusterConfig[]): void {
  // A dropped id makes its cluster's name its id, which may collide in turn: until none does.
  for (let changed = true; changed;) {
    changed = false;
    const claims = new Map<string, number>();
    for (const c of clusters) claims.set(c.id ?? c.name, (claims.get(c.id ?? c.name) ?? 0) + 1);
    for (const c of clusters) {
      if (c.id !== undefined && claims.get(c.id)! > 1) {
        delete c.id;
        changed = true;
      }
    }
  }
}

/**
 * The cluster's ClusterProperty cluster.clusterset.k8s.io (About API, KEP-2149), or undefined
 * when it has none, no About API, or may not read it: then its name is its id.
 */
async function readClusterId(client: KubeClient, timeoutMs: number): Promise<string | undefined> {
  try {
    const p = await client.request<ClusterProperty>('GET', `/apis/${ABOUT_API_VERSION}/clusterproperties/${CLUSTER_ID_PROPERTY}`, { timeoutMs });
    return p.spec?.value || undefined;
  } catch {
    return undefined;
  }
}

/** Whether the apiserver serves the MCS API at the version mcsync writes; other errors are the caller's to see. */
async function servesMcs(client: KubeClient, timeoutMs: number): Promise<boolean> {
  try {
    await client.request('GET', `/apis/${MCS_API_VERSION}`, { timeoutMs });
    return true;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return false;
    throw err;
  }
}

export function closeAll(clusters: Map<string, Connected>): void {
  for (const c of clusters.values()) c.client.close();
}
