// Reads a config's Cluster Inventory when a command starts: the hub's ClusterProfiles in the
// inventory's namespace become clusters next to the file's (config/inventory.ts decides how).
// Every command does this, and `mcsync run` again on each reload; while it runs, clusters join
// and leave through the profiles' watch (inventory-watch.ts).
//
// A hub that cannot be read, does not serve ClusterProfiles or has none there, and a profile
// that cannot become a cluster, are config errors (ConfigError: nothing is written). Read-only
// views may ask to carry on past the profiles' problems and show them instead.
import { ConfigError, loadConfig, type ConfigIssue, type LoadOptions } from '../config/load.ts';
import { joinInventory, profileToCluster, type ProfileOutcome } from '../config/inventory.ts';
import type { Config, InventoryConfig, SourcePos } from '../config/types.ts';
import { KubeApiError, KubeClient } from '../kube/client.ts';
import { classifyFailure } from '../kube/failure.ts';
import { inPodClient } from './clusters.ts';
import { CLUSTER_PROFILE_CRD, INVENTORY_API_VERSION, type ClusterProfile } from '../vocab/inventory.ts';

const TIMEOUT_MS = 10_000;

export interface InventoryView {
  /** The hub's address, and the namespace and selector read. */
  hub: string;
  namespace: string;
  labelSelector?: string;
  profiles: ProfileOutcome[];
  /** What makes the joined config wrong to act on (empty when every profile became a cluster). */
  problems: ConfigIssue[];
}

export interface Resolved {
  config: Config;
  /** Absent without an inventory. */
  inventory?: InventoryView;
}

export interface ResolveOptions {
  /** Read-only views: profiles that cannot become clusters are left out and reported, not an error. */
  tolerateProfileProblems?: boolean;
}

function issue(pos: SourcePos, message: string): ConfigIssue {
  return { ...pos, message };
}

export function hubClient(inv: InventoryConfig, env: NodeJS.ProcessEnv = process.env): KubeClient {
  return inv.hubInCluster ? inPodClient('inventory hub', 'inventory.hub', {}, env) : KubeClient.fromFile('inventory hub', inv.hubKubeconfig, inv.hubContext);
}

/** The ClusterProfiles of the inventory's namespace (and selector), or a ConfigError saying why not. */
export async function readProfiles(inv: InventoryConfig, client: KubeClient): Promise<ClusterProfile[]> {
  const where = `the inventory hub (${client.server})`;
  let resources: string[];
  try {
    const list = await client.request<{ resources?: { name: string }[] }>('GET', `/apis/${INVENTORY_API_VERSION}`, { timeoutMs: TIMEOUT_MS });
    resources = (list.resources ?? []).map((r) => r.name);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) {
      throw new ConfigError([issue(inv.hubPos, `inventory: cannot read ${where}: ${classifyFailure(err).message}`)]);
    }
    resources = [];
  }
  // multicluster.x-k8s.io/v1alpha1 is also the MCS API's group and version: the resource decides.
  if (!resources.includes('clusterprofiles')) {
    throw new ConfigError([issue(inv.pos, `inventory: ${where} does not serve ClusterProfiles (${INVENTORY_API_VERSION}): install the CRD ${CLUSTER_PROFILE_CRD} (deploy/inventory/crds/) or point hub at the cluster that has it`)]);
  }
  let items: ClusterProfile[];
  try {
    items = (await client.list<ClusterProfile>(`/apis/${INVENTORY_API_VERSION}/namespaces/${encodeURIComponent(inv.namespace)}/clusterprofiles`, inv.labelSelector !== undefined ? { labelSelector: inv.labelSelector } : {})).items;
  } catch (err) {
    const f = classifyFailure(err);
    const denied = f.kind === 'forbidden' ? ' (mcsync needs list on clusterprofiles.multicluster.x-k8s.io there)' : '';
    throw new ConfigError([issue(inv.pos, `inventory: cannot list ClusterProfiles in namespace ${inv.namespace} of ${where}: ${f.message}${denied}`)]);
  }
  if (items.length === 0) {
    const sel = inv.labelSelector !== undefined ? ` matching ${JSON.stringify(inv.labelSelector)}` : '';
    throw new ConfigError([issue(inv.pos, `inventory: no ClusterProfile${sel} in namespace ${inv.namespace} of ${where}: check namespace${inv.labelSelector !== undefined ? ' and labelSelector' : ''}`)]);
  }
  // Name order, whatever order the hub lists them in: the same config every time.
  return items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

/** The config with its inventory's clusters joined; the config unchanged without an inventory. */
export async function resolveInventory(config: Config, opts: ResolveOptions = {}): Promise<Resolved> {
  const inv = config.inventory;
  if (!inv) return { config };
  const base = { namespace: inv.namespace, ...(inv.labelSelector !== undefined ? { labelSelector: inv.labelSelector } : {}) };
  // A read-only view shows what it can: the file's clusters, and why the inventory gave none.
  const without = (hub: string, err: unknown): Resolved => {
    if (!(opts.tolerateProfileProblems && err instanceof ConfigError)) throw err;
    const joined = joinInventory(config, []);
    return { config: joined.config, inventory: { hub, ...base, profiles: [], problems: [...err.issues, ...joined.problems.map((p) => issue(p.pos, p.message))] } };
  };
  let client: KubeClient;
  try {
    client = hubClient(inv);
  } catch (err) {
    const what = inv.hubInCluster ? 'the in-cluster ServiceAccount (no hub.kubeconfig given)' : `kubeconfig ${inv.hubKubeconfig}`;
    return without('(none)', new ConfigError([issue(inv.hubPos, `inventory: cannot use ${what}: ${classifyFailure(err).message}`)]));
  }
  try {
    let profiles: ClusterProfile[];
    try {
      profiles = await readProfiles(inv, client);
    } catch (err) {
      return without(client.server, err);
    }
    const outcomes = profiles.map((p) => profileToCluster(p, inv));
    const joined = joinInventory(config, outcomes);
    const problems = joined.problems.map((p) => issue(p.pos, p.message));
    if (problems.length > 0 && !opts.tolerateProfileProblems) throw new ConfigError(problems);
    return { config: joined.config, inventory: { hub: client.server, ...base, profiles: outcomes, problems } };
  } finally {
    client.close();
  }
}

/** loadConfig, then the inventory read: what every command starts from. */
export async function loadResolved(path: string, opts: LoadOptions & ResolveOptions = {}): Promise<Resolved> {
  return resolveInventory(loadConfig(path, opts), opts);
}
