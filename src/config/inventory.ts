// ClusterProfiles into clusters, as plain data: which access provider and plugin reach each
// profile (KEP-5339, as sigs.k8s.io/cluster-inventory-api's access package does it), its labels
// and health, which inventory rule applies, and the config with them joined to the file's
// clusters. No I/O: engine/inventory.ts reads the hub and hands the profiles in.
import {
  CONTROL_PLANE_HEALTHY,
  EXEC_EXTENSION,
  EXTRA_ARGS_EXTENSION,
  EXTRA_ENVS_EXTENSION,
  type AccessCluster,
  type AccessProvider,
  type ClusterProfile,
  type ExecConfig,
} from '../vocab/inventory.ts';
import { isLabelValue, keyProblem, QUALIFIED_NAME } from '../vocab/names.ts';
import { matchesLabelSelector } from '../vocab/selector.ts';
import { DEFAULTS } from './defaults.ts';
import { durationMs } from './duration.ts';
import type { AccessProviderConfig, ClusterConfig, ClusterOrigin, Config, InventoryConfig, InventoryRule, ProfileAccess, SourcePos } from './types.ts';

/** One profile of the inventory, and the cluster it became or why it could not. */
export interface ProfileOutcome {
  namespace: string;
  name: string;
  cluster?: ClusterConfig;
  problem?: string;
  /** Its ControlPlaneHealthy condition (undefined: none, or Unknown). */
  healthy?: boolean;
  health: string;
  provider?: string;
}

/** The profile's own labels and, where they are valid label keys and values, its status.properties (labels win). */
export function profileLabels(p: ClusterProfile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const prop of p.status?.properties ?? []) {
    if (typeof prop.name === 'string' && typeof prop.value === 'string' && keyProblem(prop.name) === undefined && isLabelValue(prop.value)) out[prop.name] = prop.value;
  }
  return { ...out, ...(p.metadata.labels ?? {}) };
}

export function profileHealth(p: ClusterProfile): { healthy?: boolean; health: string } {
  const c = p.status?.conditions?.find((x) => x.type === CONTROL_PLANE_HEALTHY);
  if (!c) return { health: `no ${CONTROL_PLANE_HEALTHY} condition` };
  const words = [c.reason, c.message].filter((w) => typeof w === 'string' && w !== '').join(': ');
  const health = `${CONTROL_PLANE_HEALTHY}=${c.status}${words ? ` (${words})` : ''}`;
  if (c.status === 'True') return { healthy: true, health };
  if (c.status === 'False') return { healthy: false, health };
  return { health };
}

/**
 * The first provider of the provider file that the profile offers, as upstream picks it:
 * provider-file order decides, accessProviders override the deprecated credentialProviders.
 */
export function chooseProvider(p: ClusterProfile, providers: readonly AccessProviderConfig[]): { provider: AccessProviderConfig; access: AccessProvider } | undefined {
  const offered = new Map<string, AccessProvider>();
  for (const a of p.status?.credentialProviders ?? []) offered.set(a.name, a);
  for (const a of p.status?.accessProviders ?? []) offered.set(a.name, a);
  for (const provider of providers) {
    const access = offered.get(provider.name);
    if (access) return { provider, access };
  }
  return undefined;
}

function extension(cluster: AccessCluster, name: string): { found: boolean; value?: unknown } {
  const e = (cluster.extensions ?? []).find((x) => x.name === name);
  return e ? { found: true, value: e.extension } : { found: false };
}

/** The plugin for this profile: the provider's execConfig with the profile's extra args and env, as its policies allow. */
export function execFor(provider: AccessProviderConfig, cluster: AccessCluster): { exec: ExecConfig; clusterConfig?: unknown } | { problem: string } {
  const exec: ExecConfig = { ...provider.exec, args: [...provider.exec.args], env: provider.exec.env.map((e) => ({ ...e })) };
  const args = extension(cluster, EXTRA_ARGS_EXTENSION);
  if (args.found && provider.argsPolicy === 'Append') {
    if (!Array.isArray(args.value) || args.value.some((a) => typeof a !== 'string')) return { problem: `extension ${EXTRA_ARGS_EXTENSION} must be a list of strings` };
    exec.args.push(...(args.value as string[]));
  }
  const envs = extension(cluster, EXTRA_ENVS_EXTENSION);
  if (envs.found && provider.envsPolicy !== 'Ignore') {
    const v = envs.value;
    if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      return { problem: `extension ${EXTRA_ENVS_EXTENSION} must be a mapping of names to strings` };
    }
    const extra = v as Record<string, string>;
    const own = new Set(exec.env.map((e) => e.name));
    if (provider.envsPolicy === 'Replace') exec.env = exec.env.map((e) => (e.name in extra ? { name: e.name, value: extra[e.name]! } : e));
    // A name the provider file does not set is added either way; sorted, so the plugin's environment is the same every time.
    for (const name of Object.keys(extra).sort()) if (!own.has(name)) exec.env.push({ name, value: extra[name]! });
  }
  const cfg = extension(cluster, EXEC_EXTENSION);
  return cfg.found ? { exec, clusterConfig: cfg.value } : { exec };
}

/** The first rule whose match fits, or undefined (the cluster exports nothing). */
export function ruleFor(rules: readonly InventoryRule[], name: string, labels: Record<string, string>): InventoryRule | undefined {
  return rules.find((r) =>
    (r.names === undefined || r.names.includes(name)) &&
    (r.nameMatches === undefined || r.nameMatches.some((re) => re.test(name))) &&
    (r.selector === undefined || matchesLabelSelector(r.selector, labels)));
}

/** A ClusterProfile as a cluster, or why it cannot be one (said in words naming the profile). */
export function profileToCluster(p: ClusterProfile, inv: InventoryConfig): ProfileOutcome {
  const name = p.metadata.name;
  const namespace = p.metadata.namespace ?? inv.namespace;
  const { healthy, health } = profileHealth(p);
  const base = { namespace, name, health, ...(healthy !== undefined ? { healthy } : {}) };
  const fail = (problem: string, provider?: string): ProfileOutcome => ({ ...base, problem, ...(provider !== undefined ? { provider } : {}) });
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) return fail('its name cannot be a cluster name: a cluster name is at most 63 letters, digits, -, _ and . (it is written as a label value on every replica)');
  const chosen = chooseProvider(p, inv.providers);
  if (!chosen) {
    const offered = [...new Set([...(p.status?.accessProviders ?? []), ...(p.status?.credentialProviders ?? [])].map((a) => a.name))];
    return fail(`no access provider of the provider file is offered: the profile offers ${offered.length > 0 ? offered.map((o) => `"${o}"`).join(', ') : 'none'}, the provider file has ${inv.providers.map((x) => `"${x.name}"`).join(', ')}`);
  }
  const provider = chosen.provider.name;
  const cluster = chosen.access.cluster ?? {};
  if (typeof cluster.server !== 'string' || cluster.server === '') return fail(`access provider "${provider}" gives no cluster.server`, provider);
  if (!/^https?:\/\//.test(cluster.server)) return fail(`access provider "${provider}" gives a server that is not an http(s) URL`, provider);
  // mcsync's client connects straight to the apiserver; a proxy it would silently skip is refused instead.
  if (cluster['proxy-url']) return fail(`access provider "${provider}" names a proxy-url; mcsync does not connect through proxies yet`, provider);
  if (cluster['certificate-authority'] && !cluster['certificate-authority-data']) return fail(`access provider "${provider}" names a certificate-authority file, which is a path on another machine; give certificate-authority-data`, provider);
  const made = execFor(chosen.provider, cluster);
  if ('problem' in made) return fail(`access provider "${provider}": ${made.problem}`, provider);
  const access: ProfileAccess = {
    profile: `${namespace}/${name}`,
    provider,
    server: cluster.server,
    exec: made.exec,
    execTimeoutMs: inv.execTimeoutMs,
  };
  if (cluster['certificate-authority-data']) access.caData = cluster['certificate-authority-data'];
  if (cluster['tls-server-name']) access.tlsServerName = cluster['tls-server-name'];
  if (cluster['insecure-skip-tls-verify'] === true) access.insecureSkipTlsVerify = true;
  if (made.clusterConfig !== undefined) access.execClusterConfig = made.clusterConfig;
  const labels = profileLabels(p);
  const rule = ruleFor(inv.rules, name, labels);
  const origin: ClusterOrigin = {
    kind: 'inventory',
    namespace,
    profile: name,
    provider,
    health,
    ...(healthy !== undefined ? { healthy } : {}),
    ...(p.spec?.clusterManager?.name ? { clusterManager: p.spec.clusterManager.name } : {}),
  };
  const pos: SourcePos = rule?.pos ?? inv.pos;
  const c: ClusterConfig = {
    name,
    kubeconfig: '',
    inCluster: false,
    staleAfterMs: rule?.staleAfterMs ?? durationMs(DEFAULTS.cluster.staleAfter),
    stalePolicy: rule?.stalePolicy ?? DEFAULTS.cluster.stalePolicy,
    exports: (rule?.exports ?? []).map((e) => ({ ...e, exportTo: [...e.exportTo] })),
    replicaLabels: rule?.replicaLabels ?? {},
    replicaAnnotations: rule?.replicaAnnotations ?? {},
    pos,
    kubeconfigPos: inv.pos,
    origin,
    access,
    labels,
  };
  if (rule?.podCIDRs !== undefined) c.podCIDRs = rule.podCIDRs;
  return { ...base, provider, cluster: c };
}

export interface Joined {
  config: Config;
  /** Problems that make the joined config wrong to act on, each at a place in the config file. */
  problems: { pos: SourcePos; message: string }[];
}

/**
 * The config with the inventory's clusters after the file's: every rule without a written
 * exportTo now reaches them too, and written names are checked against the whole list. A
 * profile that could not become a cluster is a problem here; so is a name the file uses too.
 */
export function joinInventory(config: Config, outcomes: readonly ProfileOutcome[]): Joined {
  const problems: Joined['problems'] = [];
  const inv = config.inventory;
  if (!inv) return { config, problems };
  const fileNames = new Set(config.clusters.map((c) => c.name));
  const added: ClusterConfig[] = [];
  for (const o of outcomes) {
    if (o.problem !== undefined) {
      problems.push({ pos: inv.pos, message: `ClusterProfile ${o.namespace}/${o.name}${o.provider !== undefined ? ` (provider "${o.provider}")` : ''}: ${o.problem}` });
    } else if (o.cluster) {
      if (fileNames.has(o.cluster.name)) {
        const file = config.clusters.find((c) => c.name === o.cluster!.name)!;
        problems.push({ pos: file.pos, message: `cluster "${o.cluster.name}" is both in clusters: and the inventory (ClusterProfile ${o.namespace}/${o.name}); one name is one cluster` });
      } else added.push(o.cluster);
    }
  }
  const clusters = [...config.clusters.map((c) => ({ ...c, origin: c.origin ?? ({ kind: 'file' } as const) })), ...added];
  const names = clusters.map((c) => c.name);
  const known = new Set(names);
  // Inventory rules are shared by every cluster they match: each copy checks its own destinations.
  const reported = new Set<string>();
  for (const c of clusters) {
    c.exports = c.exports.map((e) => {
      const exportTo = e.exportToAll ? names.filter((n) => n !== c.name) : e.exportTo.filter((n) => n !== c.name && known.has(n));
      for (const dest of e.exportTo) {
        const key = `${e.pos.line}|${e.pos.field}|${dest}`;
        if (!known.has(dest) && !reported.has(key)) {
          reported.add(key);
          problems.push({ pos: e.pos, message: `exportTo: unknown cluster "${dest}" (the clusters are: ${names.join(', ')})` });
        }
      }
      return { ...e, exportTo };
    });
  }
  const lease = config.leaderElection.cluster;
  if (lease !== undefined && !known.has(lease)) problems.push({ pos: inv.pos, message: `leaderElection.cluster: unknown cluster "${lease}" (the clusters are: ${names.join(', ')})` });
  return { config: { ...config, clusters }, problems };
}
