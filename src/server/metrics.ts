// Prometheus instruments for `mcsync run`. Each ControllerMetrics owns its own Registry rather
// than prom-client's global one: the global registry rejects a second metric of the same name,
// so tests (and anything embedding two controllers) could not create more than one instance.
//
// Label values are fixed small sets (result, verb, kind, reason) or cluster names from the
// config, so cardinality is bounded by the number of clusters — never by Service or object name.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// 1 ms to 60 s: a propagation inside one watch round trip is milliseconds, while one that waits
// on rate limits, retries or a relist can take tens of seconds — both ends must stay resolvable.
export const PROPAGATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

// Queue waits include retry backoff (up to minutes) and reconciles include API round trips, so
// these reach further than prom-client's defaults (which stop at 10 s).
export const QUEUE_WAIT_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300,
];
export const RECONCILE_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export class ControllerMetrics {
  readonly registry: Registry;

  readonly propagation: Histogram<'source' | 'destination'>;
  readonly queueDepth: Gauge;
  readonly queueWait: Histogram;
  readonly reconcileDuration: Histogram<'capability' | 'result'>;
  readonly reconciles: Counter<'capability' | 'result'>;
  readonly writes: Counter<'cluster' | 'verb' | 'kind' | 'result' | 'capability'>;
  readonly clusterConnected: Gauge<'cluster'>;
  readonly clusterSynced: Gauge<'cluster'>;
  readonly clusterStale: Gauge<'cluster'>;
  readonly clusterLastError: Gauge<'cluster'>;
  readonly clusterLastSeen: Gauge<'cluster'>;
  readonly managedObjects: Gauge<'cluster' | 'kind'>;
  readonly conflicts: Gauge<'cluster' | 'kind'>;
  readonly watchRestarts: Counter<'cluster' | 'resource'>;
  readonly relists: Counter<'cluster' | 'resource' | 'reason'>;
  readonly companions: Gauge<'cluster'>;
  readonly rejectedEndpoints: Gauge<'cluster' | 'reason'>;
  readonly localityTierChanges: Counter<'cluster'>;
  readonly clusterInfo: Gauge<'cluster' | 'origin' | 'profile'>;
  readonly clusterProfileHealthy: Gauge<'cluster'>;
  readonly localityServices: Gauge<'cluster' | 'tier'>;
  readonly policyPropagation: Histogram<'source' | 'destination'>;
  readonly leader: Gauge;
  readonly configReloads: Counter<'result'>;

  constructor() {
    const register = new Registry();
    this.registry = register;
    collectDefaultMetrics({ register });
    const registers = [register];

    this.propagation = new Histogram({
      name: 'mcsync_propagation_seconds',
      help: 'Time from a source change being observed to the destination write being acknowledged.',
      labelNames: ['source', 'destination'] as const,
      buckets: [...PROPAGATION_BUCKETS],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'mcsync_queue_depth',
      help: 'Work items (a key in one destination) waiting in the destinations\' queues (not counting those in flight).',
      registers,
    });
    this.queueWait = new Histogram({
      name: 'mcsync_queue_wait_seconds',
      help: 'Time a work item waited in its destination\'s queue before a worker started it.',
      buckets: [...QUEUE_WAIT_BUCKETS],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'mcsync_reconcile_seconds',
      help: 'Duration of one reconcile of one key, by capability (replicas, imports, policies) and result.',
      labelNames: ['capability', 'result'] as const,
      buckets: [...RECONCILE_BUCKETS],
      registers,
    });
    this.reconciles = new Counter({
      name: 'mcsync_reconciles_total',
      help: 'Reconciles finished, by capability (replicas, imports, policies) and result.',
      labelNames: ['capability', 'result'] as const,
      registers,
    });
    this.writes = new Counter({
      name: 'mcsync_writes_total',
      help: 'Writes planned against a cluster, by verb, kind, outcome and the capability that planned them.',
      labelNames: ['cluster', 'verb', 'kind', 'result', 'capability'] as const,
      registers,
    });
    this.clusterConnected = new Gauge({
      name: 'mcsync_cluster_connected',
      help: '1 if the last request to the cluster succeeded, else 0.',
      labelNames: ['cluster'] as const,
      registers,
    });
    this.clusterSynced = new Gauge({
      name: 'mcsync_cluster_synced',
      help: "1 once every watch of the cluster has completed its initial list, else 0.",
      labelNames: ['cluster'] as const,
      registers,
    });
    this.clusterStale = new Gauge({
      name: 'mcsync_cluster_stale',
      help: '1 while the cached view of the cluster is too old to trust (source treated as unavailable), else 0.',
      labelNames: ['cluster'] as const,
      registers,
    });
    this.clusterLastError = new Gauge({
      name: 'mcsync_cluster_last_error_timestamp_seconds',
      help: 'Unix time of the last failed request or watch against the cluster.',
      labelNames: ['cluster'] as const,
      registers,
    });
    this.clusterLastSeen = new Gauge({
      name: 'mcsync_cluster_last_seen_timestamp_seconds',
      help: 'Unix time of the last successful response or watch event from the cluster.',
      labelNames: ['cluster'] as const,
      registers,
    });
    this.managedObjects = new Gauge({
      name: 'mcsync_managed_objects',
      help: 'Objects owned by mcsync in the cluster, by kind.',
      labelNames: ['cluster', 'kind'] as const,
      registers,
    });
    this.conflicts = new Gauge({
      name: 'mcsync_conflicts',
      help: 'Exported Services whose replica in the cluster is blocked or partly ignored by a conflict, by kind (not-owned, missing-namespace, port-mismatch, type-mismatch).',
      labelNames: ['cluster', 'kind'] as const,
      registers,
    });
    this.watchRestarts = new Counter({
      name: 'mcsync_watch_restarts_total',
      help: 'Failed lists or watches of a resource; each is retried with backoff (a watch the server ends on time, or that goes quiet, is re-opened without counting here).',
      labelNames: ['cluster', 'resource'] as const,
      registers,
    });
    this.relists = new Counter({
      name: 'mcsync_relists_total',
      help: 'Full lists of a resource, by reason (initial, gone = 410, resync = periodic, error).',
      labelNames: ['cluster', 'resource', 'reason'] as const,
      registers,
    });
    this.companions = new Gauge({
      name: 'mcsync_companions',
      help: 'Companion NetworkPolicies owned by mcsync in the cluster (remote pod IPs of spanned policies).',
      labelNames: ['cluster'] as const,
      registers,
    });
    this.rejectedEndpoints = new Gauge({
      name: 'mcsync_rejected_endpoints',
      help: 'Endpoints (ports, slices) of exported Services from the source cluster that mcsync does not replicate, by reason (outside-pod-cidrs, loopback, link-local, unspecified, multicast, invalid-address, invalid-hostname, invalid-port, oversized-slice, too-many-ports).',
      labelNames: ['cluster', 'reason'] as const,
      registers,
    });
    this.clusterInfo = new Gauge({
      name: 'mcsync_cluster_info',
      help: 'Always 1: where the cluster came from, origin "file" (the config\'s clusters) or "inventory" with its ClusterProfile as profile (namespace/name).',
      labelNames: ['cluster', 'origin', 'profile'] as const,
      registers,
    });
    this.clusterProfileHealthy = new Gauge({
      name: 'mcsync_cluster_profile_healthy',
      help: 'An inventory cluster\'s ClusterProfile condition ControlPlaneHealthy: 1 True, 0 False; no series while the profile has none.',
      labelNames: ['cluster'] as const,
      registers,
    });
    this.localityTierChanges = new Counter({
      name: 'mcsync_locality_tier_changes_total',
      help: 'Changes of the locality tier an importing cluster uses for a Service with clusterSelectors (an Event is posted on each).',
      labelNames: ['cluster'] as const,
      registers,
    });
    this.localityServices = new Gauge({
      name: 'mcsync_locality_services',
      help: 'Services with locality tiers imported in the cluster, by the tier in use: 0 is the nearest, "all" when no tier has a ready endpoint, "inactive" when tiers cannot apply there (see /status).',
      labelNames: ['cluster', 'tier'] as const,
      registers,
    });
    this.policyPropagation = new Histogram({
      name: 'mcsync_policy_propagation_seconds',
      help: 'Time from a pod or namespace change in a remote cluster being observed to the companion NetworkPolicy it changes being written.',
      labelNames: ['source', 'destination'] as const,
      buckets: [...PROPAGATION_BUCKETS],
      registers,
    });
    this.leader = new Gauge({
      name: 'mcsync_leader',
      help: '1 while this process holds the leader lease and may write, else 0.',
      registers,
    });
    this.configReloads = new Counter({
      name: 'mcsync_config_reloads_total',
      help: 'Config reloads, by result (rejected = invalid; the previous config stays in force).',
      labelNames: ['result'] as const,
      registers,
    });

    // Series that exist from the start, so `rate(...{result="error"}[5m])` alerts evaluate to 0
    // rather than to "no data" until the first failure (the reconcile series: addCapability).
    this.leader.set(0);
    this.queueDepth.set(0);
    for (const result of ['ok', 'rejected'] as const) this.configReloads.inc({ result }, 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Creates a cluster's per-cluster series at their starting values, so a cluster that never
   * connects still shows up as `connected 0` instead of being absent.
   */
  /** A capability's reconcile series at zero, so rates read 0 rather than no data before its first key. */
  addCapability(capability: string): void {
    for (const result of ['ok', 'error']) this.reconciles.inc({ capability, result }, 0);
  }

  addCluster(cluster: string): void {
    this.clusterConnected.set({ cluster }, 0);
    this.clusterSynced.set({ cluster }, 0);
    this.clusterStale.set({ cluster }, 0);
    this.localityTierChanges.inc({ cluster }, 0);
  }

  /**
   * The companion series of a cluster that renders spanned policies, at zero: the companion
   * count, and a histogram per remote it can hear from, so dashboards and alerts read 0 rather
   * than "no data" before the first remote pod changes.
   */
  addPolicyCluster(cluster: string, remotes: readonly string[]): void {
    this.companions.set({ cluster }, 0);
    for (const source of remotes) this.policyPropagation.zero({ source, destination: cluster });
  }

  /**
   * Drops every series labelled with a cluster that a config reload removed; otherwise its last
   * values (e.g. `stale 1`) would be exported forever and keep alerts firing.
   */
  async removeCluster(cluster: string): Promise<void> {
    for (const g of [this.clusterConnected, this.clusterSynced, this.clusterStale, this.clusterLastError, this.clusterLastSeen, this.companions, this.clusterProfileHealthy]) {
      g.remove({ cluster });
    }
    await removeMatching(this.managedObjects, ['cluster', 'kind'], { cluster });
    await removeMatching(this.conflicts, ['cluster', 'kind'], { cluster });
    await removeMatching(this.rejectedEndpoints, ['cluster', 'reason'], { cluster });
    await removeMatching(this.localityServices, ['cluster', 'tier'], { cluster });
    await removeMatching(this.clusterInfo, ['cluster', 'origin', 'profile'], { cluster });
    this.localityTierChanges.remove({ cluster });
    await removeMatching(this.writes, ['cluster', 'verb', 'kind', 'result', 'capability'], { cluster });
    await removeMatching(this.watchRestarts, ['cluster', 'resource'], { cluster });
    await removeMatching(this.relists, ['cluster', 'resource', 'reason'], { cluster });
    await removeMatching(this.propagation, ['source', 'destination'], { source: cluster });
    await removeMatching(this.propagation, ['source', 'destination'], { destination: cluster });
    await removeMatching(this.policyPropagation, ['source', 'destination'], { source: cluster });
    await removeMatching(this.policyPropagation, ['source', 'destination'], { destination: cluster });
  }
}

interface Removable<T extends string> {
  get(): Promise<{ values: { labels: Partial<Record<string, string | number>> }[] }>;
  remove(labels: Partial<Record<T, string | number>>): void;
}

// prom-client's remove() wants a series' full label set, and only get() lists the series.
async function removeMatching<T extends string>(
  metric: Removable<T>,
  labelNames: readonly T[],
  match: Partial<Record<T, string>>,
): Promise<void> {
  const { values } = await metric.get();
  const done = new Set<string>();
  for (const { labels } of values) {
    if (!Object.entries(match).every(([k, v]) => labels[k] === v)) continue;
    // A histogram lists each series once per bucket (extra `le`) and for sum and count.
    const own: Partial<Record<T, string | number>> = {};
    for (const name of labelNames) if (labels[name] !== undefined) own[name] = labels[name];
    const id = JSON.stringify(own);
    if (done.has(id)) continue;
    done.add(id);
    metric.remove(own);
  }
}
