// The validated raw config turned into the Config the rest of mcsync reads: defaults applied,
// cluster-level settings inherited by service entries, paths resolved, expressions compiled.
import { dirname } from 'node:path';
import type { RawConfig } from './schema.ts';
import { DEFAULTS, defaultLeaseName } from './defaults.ts';
import { durationMs } from './duration.ts';
import type { AccessProviderConfig, ClusterConfig, Config, CopyFilter, ExportRule, InventoryConfig, InventoryRule, SourcePos } from './types.ts';
import type { Path } from './positions.ts';
import { resolveKubeconfigPath } from './kubeconfig.ts';
import { parseLabelSelector } from '../vocab/selector.ts';

/**
 * The original matched names with Python's re.match, which anchors at the start but not the
 * end: "web" matches "web-v2". The group keeps an alternation like "a|b" anchored as a whole.
 */
export function compileNameMatch(src: string): RegExp {
  return new RegExp(`^(?:${src})`);
}

function copyFilter(raw: RawConfig['copyLabels']): CopyFilter {
  const filter: CopyFilter = { exclude: raw?.exclude ?? [] };
  if (raw?.include !== undefined) filter.include = raw.include;
  return filter;
}

type ServiceEntries = NonNullable<RawConfig['clusters']>[number]['services'];
type Defaults = { nameMatches?: string[] | undefined; exportTo?: string[] | undefined };

/** A cluster's (or an inventory rule's) services entries as export rules; `self` is never a destination. */
function buildExports(data: RawConfig, services: ServiceEntries, defaults: Defaults, allNames: string[], self: string | undefined, base: Path, pos: (path: Path) => SourcePos): ExportRule[] {
  return (services ?? []).map((s, j): ExportRule => {
    const nameMatches = s.nameMatches ?? defaults.nameMatches;
    const written = s.exportTo ?? defaults.exportTo;
    const destinations = written ?? allNames;
    const rule: ExportRule = {
      exportTo: [...new Set(destinations)].filter((n) => n !== self),
      conflictPolicy: s.conflictPolicy ?? data.conflictPolicy ?? DEFAULTS.conflictPolicy,
      force: s.force ?? false,
      pos: pos([...base, 'services', j]),
    };
    if (written === undefined && data.inventory !== undefined) rule.exportToAll = true;
    if (s.namespace !== undefined) rule.namespace = s.namespace;
    if (nameMatches !== undefined) rule.nameMatches = nameMatches.map(compileNameMatch);
    if (s.names !== undefined) rule.names = s.names;
    // checkSemantics has rejected any selector that does not parse, so this cannot throw.
    if (s.labelSelector !== undefined) rule.selector = parseLabelSelector(s.labelSelector);
    if (s.exclude !== undefined) rule.exclude = s.exclude;
    if (s.clusterSelectors !== undefined) rule.clusterSelectors = structuredClone(s.clusterSelectors);
    if (s.stalePolicy !== undefined) rule.stalePolicy = s.stalePolicy;
    return rule;
  });
}

function buildInventory(data: RawConfig, absFile: string, pos: (path: Path) => SourcePos, providers: AccessProviderConfig[]): InventoryConfig | undefined {
  const inv = data.inventory;
  if (inv === undefined) return undefined;
  const base: Path = ['inventory'];
  const rules = (inv.rules ?? []).map((r, k): InventoryRule => {
    const at: Path = [...base, 'rules', k];
    const rule: InventoryRule = {
      // Inventory clusters are only known when it is read: exportTo holds what is written, filled in then.
      exports: buildExports(data, r.services, { nameMatches: r.nameMatches, exportTo: r.exportTo }, [], undefined, at, pos),
      replicaLabels: r.replicaLabels ?? {},
      replicaAnnotations: r.replicaAnnotations ?? {},
      staleAfterMs: durationMs(r.staleAfter ?? DEFAULTS.cluster.staleAfter),
      stalePolicy: r.stalePolicy ?? DEFAULTS.cluster.stalePolicy,
      pos: pos(at),
    };
    if (r.match?.names !== undefined) rule.names = r.match.names;
    if (r.match?.nameMatches !== undefined) rule.nameMatches = r.match.nameMatches.map(compileNameMatch);
    if (r.match?.labelSelector !== undefined) rule.selector = parseLabelSelector(r.match.labelSelector);
    if (r.podCIDRs !== undefined) rule.podCIDRs = r.podCIDRs;
    return rule;
  });
  const out: InventoryConfig = {
    hubKubeconfig: inv.hub.kubeconfig === undefined ? '' : resolveKubeconfigPath(inv.hub.kubeconfig, dirname(absFile)),
    hubInCluster: inv.hub.kubeconfig === undefined,
    namespace: inv.namespace,
    providerFile: resolveKubeconfigPath(inv.providerFile, dirname(absFile)),
    providers,
    execTimeoutMs: durationMs(inv.execTimeout ?? DEFAULTS.inventory.execTimeout),
    onRemove: inv.onRemove ?? DEFAULTS.inventory.onRemove,
    rules,
    pos: pos(base),
    hubPos: pos(inv.hub.kubeconfig === undefined ? [...base, 'hub'] : [...base, 'hub', 'kubeconfig']),
    providerFilePos: pos([...base, 'providerFile']),
  };
  if (inv.hub.context !== undefined) out.hubContext = inv.hub.context;
  if (inv.labelSelector !== undefined) out.labelSelector = inv.labelSelector;
  return out;
}

/** `providers`: the inventory's provider file, read by the loader (empty without an inventory). */
export function buildConfig(data: RawConfig, absFile: string, pos: (path: Path) => SourcePos, providers: AccessProviderConfig[] = []): Config {
  const fileClusters = data.clusters ?? [];
  const allNames = fileClusters.map((c) => c.name);
  const clusters = fileClusters.map((c, i): ClusterConfig => {
    const base: Path = ['clusters', i];
    const exports = buildExports(data, c.services, { nameMatches: c.nameMatches, exportTo: c.exportTo }, allNames, c.name, base, pos);
    const cluster: ClusterConfig = {
      name: c.name,
      kubeconfig: c.kubeconfig === undefined ? '' : resolveKubeconfigPath(c.kubeconfig, dirname(absFile)),
      inCluster: c.kubeconfig === undefined,
      staleAfterMs: durationMs(c.staleAfter ?? DEFAULTS.cluster.staleAfter),
      stalePolicy: c.stalePolicy ?? DEFAULTS.cluster.stalePolicy,
      exports,
      replicaLabels: c.replicaLabels ?? {},
      replicaAnnotations: c.replicaAnnotations ?? {},
      pos: pos(base),
      kubeconfigPos: pos([...base, 'kubeconfig']),
    };
    if (c.podCIDRs !== undefined) cluster.podCIDRs = c.podCIDRs;
    if (c.properties !== undefined) cluster.properties = { ...c.properties };
    if (c.context !== undefined) {
      cluster.context = c.context;
      cluster.contextPos = pos([...base, 'context']);
    }
    return cluster;
  });
  const inventory = buildInventory(data, absFile, pos, providers);
  const instance = data.instance ?? DEFAULTS.instance;
  return {
    file: absFile,
    instance,
    createNamespaces: data.createNamespaces ?? DEFAULTS.createNamespaces,
    copyLabels: copyFilter(data.copyLabels),
    copyAnnotations: copyFilter(data.copyAnnotations),
    concurrency: data.concurrency ?? DEFAULTS.concurrency,
    networkPolicies: data.networkPolicies ?? DEFAULTS.networkPolicies,
    mcs: data.mcs ?? DEFAULTS.mcs,
    controller: {
      writeQps: data.controller?.writeQps ?? DEFAULTS.controller.writeQps,
      writeBurst: data.controller?.writeBurst ?? DEFAULTS.controller.writeBurst,
      resyncMs: durationMs(data.controller?.resyncInterval ?? DEFAULTS.controller.resyncInterval),
      watchTimeoutSeconds: Math.max(1, Math.round(durationMs(data.controller?.watchTimeout ?? DEFAULTS.controller.watchTimeout) / 1000)),
    },
    leaderElection: {
      ...(data.leaderElection?.cluster !== undefined ? { cluster: data.leaderElection.cluster } : {}),
      namespace: data.leaderElection?.namespace ?? DEFAULTS.leaderElection.namespace,
      name: data.leaderElection?.name ?? defaultLeaseName(instance),
      leaseDurationMs: durationMs(data.leaderElection?.leaseDuration ?? DEFAULTS.leaderElection.leaseDuration),
      renewDeadlineMs: durationMs(data.leaderElection?.renewDeadline ?? DEFAULTS.leaderElection.renewDeadline),
      retryPeriodMs: durationMs(data.leaderElection?.retryPeriod ?? DEFAULTS.leaderElection.retryPeriod),
    },
    clusters,
    ...(inventory !== undefined ? { inventory } : {}),
  };
}
