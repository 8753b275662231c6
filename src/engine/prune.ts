// Removing what mcsync wrote: each target cluster is read, the pure core lists what this
// instance owns there (model/prune.ts) and it is deleted. One cluster's failure does not stop
// the others; it is reported with the cluster's name.
import type { Config } from '../config/types.ts';
import { KubeApiError, type KubeClient } from '../kube/client.ts';
import { PATHS } from '../kube/read.ts';
import { applyActions, type WriteResult } from '../kube/write.ts';
import { planPrune, type PruneExtras } from '../model/prune.ts';
import { ownershipSelector } from '../vocab/labels.ts';
import type { EndpointSlice, NetworkPolicy, Service } from '../vocab/objects.ts';
import type { ServiceImport } from '../vocab/mcs.ts';
import type { Connected } from './clusters.ts';

export interface PruneReport {
  /** The clusters pruned, in config order. */
  clusters: string[];
  /** Every delete attempted, grouped by cluster in the order of `clusters`. */
  results: WriteResult[];
  /** Clusters that could not be read or written at all. */
  failures: { cluster: string; error: string }[];
}

/** Prunes `only`, or every configured cluster when it is undefined. */
export async function prune(config: Config, clusters: Map<string, Connected>, only?: string): Promise<PruneReport> {
  const targets = config.clusters.filter((c) => only === undefined || c.name === only);
  const outcomes = await Promise.all(targets.map(async (c): Promise<{ results: WriteResult[]; error?: string }> => {
    const conn = clusters.get(c.name);
    if (!conn) return { results: [], error: `cluster ${c.name} is not connected` };
    try {
      // Only what this instance owns is listed: every Service and slice it wrote (replicas and
      // imports alike) carries its ownership labels.
      const owned = { labelSelector: ownershipSelector(config.instance) };
      const [services, ownedSlices, extras] = await Promise.all([
        conn.client.list<Service>(PATHS.services(), owned).then((l) => l.items),
        conn.client.list<EndpointSlice>(PATHS.slices(), owned).then((l) => l.items),
        readExtras(conn.client, config),
      ]);
      const all = { cluster: c.name, namespaces: new Set<string>(), services, ownedSlices };
      return { results: await applyActions(conn.client, planPrune(all, config.instance, extras), { instance: config.instance, concurrency: config.concurrency }) };
    } catch (err) {
      return { results: [], error: (err as Error).message };
    }
  }));
  return {
    clusters: targets.map((c) => c.name),
    results: outcomes.flatMap((o) => o.results),
    failures: outcomes.flatMap((o, i) => (o.error === undefined ? [] : [{ cluster: targets[i]!.name, error: o.error }])),
  };
}

/**
 * ServiceImports and NetworkPolicies, where the cluster serves them. A credential refused them
 * (403) is fine while the feature is off in the config (it never needed the grant), and a
 * failure while it is on: what it wrote would be left behind unseen.
 */
async function readExtras(client: KubeClient, config: Config): Promise<PruneExtras> {
  const optional = async <T>(path: string, featureOn: boolean): Promise<T[]> => {
    try {
      return (await client.list<T>(path, { labelSelector: ownershipSelector(config.instance) })).items;
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 404 || (err.status === 403 && !featureOn))) return [];
      throw err;
    }
  };
  const [imports, policies] = await Promise.all([
    optional<ServiceImport>(PATHS.serviceImports(), config.mcs),
    optional<NetworkPolicy>(PATHS.networkPolicies(), config.networkPolicies),
  ]);
  return { imports, policies };
}

/** Whether the report says anything went wrong: a cluster failed, or one delete did. */
export function pruneFailed(report: PruneReport): boolean {
  return report.failures.length > 0 || report.results.some((r) => r.outcome === 'failed');
}
