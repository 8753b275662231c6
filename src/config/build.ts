// The validated raw config turned into the Config the rest of mcsync reads: defaults applied,
// cluster-level settings inherited by service entries, paths resolved, expressions compiled.
import { dirname } from 'node:path';
import type { RawConfig } from './schema.ts';
import { DEFAULTS, defaultLeaseName } from './defaults.ts';
import { durationMs } from './duration.ts';
import type { ClusterConfig, Config, CopyFilter, ExportRule, SourcePos } from './types.ts';
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

export function buildConfig(data: RawConfig, absFile: string, pos: (path: Path) => SourcePos): Config {
  const allNames = data.clusters.map((c) => c.name);
  const clusters = data.clusters.map((c, i): ClusterConfig => {
    const base: Path = ['clusters', i];
    const exports = (c.services ?? []).map((s, j): ExportRule => {
      const nameMatches = s.nameMatches ?? c.nameMatches;
      const destinations = s.exportTo ?? c.exportTo ?? allNames;
      const rule: ExportRule = {
        exportTo: [...new Set(destinations)].filter((n) => n !== c.name),
        conflictPolicy: s.conflictPolicy ?? data.conflictPolicy ?? DEFAULTS.conflictPolicy,
        force: s.force ?? false,
        pos: pos([...base, 'services', j]),
      };
      if (s.namespace !== undefined) rule.namespace = s.namespace;
      if (nameMatches !== undefined) rule.nameMatches = nameMatches.map(compileNameMatch);
      if (s.names !== undefined) rule.names = s.names;
      // checkSemantics has rejected any selector that does not parse, so this cannot throw.
      if (s.labelSelector !== undefined) rule.selector = parseLabelSelector(s.labelSelector);
      if (s.exclude !== undefined) rule.exclude = s.exclude;
      return rule;
    });
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
    if (c.context !== undefined) {
      cluster.context = c.context;
      cluster.contextPos = pos([...base, 'context']);
    }
    return cluster;
  });
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
  };
}
