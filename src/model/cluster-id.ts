// A cluster's id in the Multi-Cluster Services sense (KEP-2149): the value of its About API
// ClusterProperty cluster.clusterset.k8s.io where it has one, else its configured name. It is
// what mcsync writes where MCS consumers read a cluster (the source-cluster label of slices,
// which clusterset DNS turns into <hostname>.<clusterid>.<svc>.<ns>.svc.clusterset.local, and a
// ServiceImport's status.clusters), while config, status and logs keep speaking of names. Pure.
import type { ClusterConfig } from '../config/types.ts';
import { MCS_SOURCE_CLUSTER, SOURCE_CLUSTER_NAME } from '../vocab/labels.ts';

type Fleet = { clusters: readonly Pick<ClusterConfig, 'name' | 'id'>[] };

/** The id of the cluster named `name` (its name when it has no other, or is not in the fleet). */
export function clusterId(fleet: Fleet, name: string): string {
  return fleet.clusters.find((c) => c.name === name)?.id ?? name;
}

/** The name of the cluster an id (as read back from a label or a status) stands for; the value itself when no cluster claims it. */
export function clusterOfId<T extends string | undefined>(fleet: Fleet, id: T): T {
  if (id === undefined) return id;
  return (fleet.clusters.find((c) => (c.id ?? c.name) === id)?.name ?? id) as T;
}

/**
 * The cluster (by name) a slice mcsync wrote was copied from: its own label, else (a slice
 * written before that label existed) the MCS label read back from an id.
 */
export function sourceOfSlice(fleet: Fleet, slice: { metadata: { labels?: Record<string, string> } }): string | undefined {
  const labels = slice.metadata.labels;
  return labels?.[SOURCE_CLUSTER_NAME] ?? clusterOfId(fleet, labels?.[MCS_SOURCE_CLUSTER]);
}
