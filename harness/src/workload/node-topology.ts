// Where a harness Node sits: the well-known topology labels the EndpointSlice controller copies
// onto each endpoint (`zone`) and kube-proxy reads of its own node to follow zone hints. One place,
// so the data plane's zones and the default every other harness Node has stay the same rule.
import { HarnessError } from '../util/errors.ts';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';

export interface NodeTopology {
  /** The Node's zone; `<cluster>-zone-a` when absent, so no two clusters share one by accident. */
  zone?: string;
  /** The Node's region; no label when absent. */
  region?: string;
}

/** The labels of a cluster's Node: its hostname and its place. */
export function nodeLabels(clusterName: string, nodeName: string, topology: NodeTopology = {}): Record<string, string> {
  return {
    'kubernetes.io/hostname': nodeName,
    [ZONE_LABEL]: topology.zone ?? `${clusterName}-zone-a`,
    ...(topology.region !== undefined ? { [REGION_LABEL]: topology.region } : {}),
  };
}

/**
 * Each named cluster's topology from per-cluster maps of zones and regions (one Node per
 * cluster, so a zone per cluster is a zone per Node). A key naming no cluster, or an empty value
 * (not a valid label value for a place), is a mistake of the caller and fails with its name.
 */
export function topologyByCluster(names: readonly string[], zones: Record<string, string> = {}, regions: Record<string, string> = {}): Map<string, NodeTopology> {
  for (const [what, map] of [['zones', zones], ['regions', regions]] as const) {
    for (const [cluster, value] of Object.entries(map)) {
      if (!names.includes(cluster)) throw new HarnessError(`${what}.${cluster}: no cluster named ${cluster} (clusters: ${names.join(', ')})`);
      if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(value)) throw new HarnessError(`${what}.${cluster}: ${JSON.stringify(value)} is not a valid label value`);
    }
  }
  return new Map(names.map((n) => [n, { ...(zones[n] !== undefined ? { zone: zones[n] } : {}), ...(regions[n] !== undefined ? { region: regions[n] } : {}) }]));
}
