// The names mcsync writes on what it owns. The ownership contract: mcsync changes or deletes
// only objects carrying OWNED_BY=OWNED_BY_VALUE and INSTANCE=<its instance>.

export const OWNED_BY = 'mcsync.io/managed-by';
export const OWNED_BY_VALUE = 'mcsync';
export const INSTANCE = 'mcsync.io/instance';

/** Standard EndpointSlice labels: what kube-proxy and CoreDNS read. */
export const SERVICE_NAME = 'kubernetes.io/service-name';
export const SLICE_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** Never the built-in controller's value (endpointslice-controller.k8s.io), so it leaves ours alone. */
export const SLICE_MANAGED_BY_VALUE = 'mcsync.io';

/** Multi-Cluster Services API labels (KEP-1645). */
export const MCS_SOURCE_CLUSTER = 'multicluster.kubernetes.io/source-cluster';
export const MCS_SERVICE_NAME = 'multicluster.kubernetes.io/service-name';

/** Annotations mcsync writes. */
export const SOURCES = 'mcsync.io/sources'; // on replica Services: comma-separated source clusters
/**
 * On the slices mcsync writes from a cluster whose id is not its name: the configured name. The
 * MCS label MCS_SOURCE_CLUSTER holds the cluster's id (model/cluster-id.ts), which may change;
 * this one is what mcsync itself reads back.
 */
export const SOURCE_CLUSTER_NAME = 'mcsync.io/source-cluster';
export const ENDPOINT_ORIGINS = 'mcsync.io/endpoint-origins'; // on slices: address -> pod and node in the source
export const CREATED_NAMESPACE = 'mcsync.io/created-namespace'; // label on namespaces mcsync created

/** On a user's NetworkPolicy: the clusters (comma-separated config names, or `*`) whose pods its peers also match. */
export const REMOTE_CLUSTERS = 'mcsync.io/remote-clusters';
/**
 * On a companion NetworkPolicy: as an annotation `<namespace>/<name>` of the user's policy; as a
 * label its name (or hash8 of it when longer than a label value may be), for selecting them.
 */
export const COMPANION_OF = 'mcsync.io/companion-of';

/** Kept out of replicas unless a copy filter's include names them explicitly. */
export const DEFAULT_COPY_EXCLUDES = [
  'kubectl.kubernetes.io/*',
  'meta.helm.sh/*',
  'app.kubernetes.io/managed-by',
  'helm.sh/chart',
  'argocd.argoproj.io/*',
  'kapp.k14s.io/*',
  'mcsync.io/*',
  'endpointslice.kubernetes.io/*',
  'multicluster.kubernetes.io/*',
  'service.kubernetes.io/*',
  'service.beta.kubernetes.io/*',
  'cloud.google.com/*',
  'networking.gke.io/*',
];

/** Never exported unless an entry says force: true. */
export const PROTECTED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
export const PROTECTED_SERVICES = ['default/kubernetes'];

export function ownershipLabels(instance: string): Record<string, string> {
  return { [OWNED_BY]: OWNED_BY_VALUE, [INSTANCE]: instance };
}

export function ownershipSelector(instance: string): string {
  return `${OWNED_BY}=${OWNED_BY_VALUE},${INSTANCE}=${instance}`;
}

export function isOwned(meta: { labels?: Record<string, string> }, instance: string): boolean {
  return meta.labels?.[OWNED_BY] === OWNED_BY_VALUE && meta.labels?.[INSTANCE] === instance;
}

/**
 * On what mcsync writes for a ServiceImport (its derived Service and their slices): the import's
 * name. Replicas never carry it, so the replica planner and the import planner each see only
 * their own objects.
 */
export const MCS_IMPORT = 'mcsync.io/import';
/** The well-known label of a Node's zone: what kube-proxy matches zone hints against. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** On a ServiceExport: its locality tiers, KEP-5939 clusterSelectors as JSON (model/locality/annotation.ts). */
export const CLUSTER_SELECTORS = 'mcsync.io/cluster-selectors';
/** On a ServiceExport: its stale policy, over its cluster's (model/stale.ts). */
export const STALE_POLICY = 'mcsync.io/stale-policy';

/** This instance's replicas: owned, and not part of a ServiceImport. */
export function replicaSelector(instance: string): string {
  return `${ownershipSelector(instance)},!${MCS_IMPORT}`;
}

/** This instance's ServiceImports, derived Services and their slices. */
export function importSelector(instance: string): string {
  return `${ownershipSelector(instance)},${MCS_IMPORT}`;
}

/** What any mcsync instance wrote for a ServiceImport: seen, so another instance's import is a conflict, not a name to take. */
export const ANY_IMPORT_SELECTOR = `${OWNED_BY}=${OWNED_BY_VALUE},${MCS_IMPORT}`;

export function isOwnedReplica(meta: { labels?: Record<string, string> }, instance: string): boolean {
  return isOwned(meta, instance) && meta.labels?.[MCS_IMPORT] === undefined;
}

/** Slices written by any mcsync installation are replicas, never part of what a cluster exports. */
export const NOT_A_REPLICA_SELECTOR = `${SLICE_MANAGED_BY}!=${SLICE_MANAGED_BY_VALUE}`;

/** Made by some mcsync installation, this one or another: a replica, never a source. */
export function isReplica(meta: { labels?: Record<string, string> }): boolean {
  return meta.labels?.[OWNED_BY] === OWNED_BY_VALUE || meta.labels?.[SLICE_MANAGED_BY] === SLICE_MANAGED_BY_VALUE;
}
