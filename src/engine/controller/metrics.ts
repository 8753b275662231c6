// What the controller records, as the smallest interface that says so. The engine never sees a
// metrics library: server/metrics.ts's Prometheus instruments satisfy this structurally, and
// cli/run.ts hands them in. Label values are small fixed sets or cluster names.

export type Labels<L extends string> = Record<L, string>;

export interface CounterSink<L extends string> {
  inc(labels: Labels<L>): void;
}

export interface GaugeSink<L extends string> {
  set(labels: Labels<L>, value: number): void;
}

export interface HistogramSink<L extends string> {
  observe(labels: Labels<L>, value: number): void;
}

export interface ControllerMetricsSink {
  /** Seconds from a source change being observed to its write in a destination being acknowledged. */
  propagation: HistogramSink<'source' | 'destination'>;
  queueDepth: { set(value: number): void };
  /** Seconds a key waited before a worker took it. */
  queueWait: { observe(value: number): void };
  reconcileDuration: HistogramSink<'capability' | 'result'>;
  reconciles: CounterSink<'capability' | 'result'>;
  writes: CounterSink<'cluster' | 'verb' | 'kind' | 'result' | 'capability'>;
  clusterConnected: GaugeSink<'cluster'>;
  clusterSynced: GaugeSink<'cluster'>;
  clusterStale: GaugeSink<'cluster'>;
  /** Unix seconds. */
  clusterLastError: GaugeSink<'cluster'>;
  /** Unix seconds. */
  clusterLastSeen: GaugeSink<'cluster'>;
  managedObjects: GaugeSink<'cluster' | 'kind'>;
  /** Service keys whose last plan in a destination found a conflict of this kind. */
  conflicts: GaugeSink<'cluster' | 'kind'>;
  watchRestarts: CounterSink<'cluster' | 'resource'>;
  relists: CounterSink<'cluster' | 'resource' | 'reason'>;
  /** Companion NetworkPolicies this instance owns in the cluster (networkPolicies: true). */
  companions: GaugeSink<'cluster'>;
  /**
   * Seconds from a pod or namespace change in a remote cluster (`source`) being observed to the
   * companion it changes being written in the policy's cluster (`destination`).
   */
  policyPropagation: HistogramSink<'source' | 'destination'>;
  /** Endpoints of a source's exported Services the endpoint guard drops, by reason (now, not a running total). */
  rejectedEndpoints: GaugeSink<'cluster' | 'reason'>;
  /** 1 per cluster, labelled with where it came from: `file`, or `inventory` and its ClusterProfile (namespace/name). */
  clusterInfo: GaugeSink<'cluster' | 'origin' | 'profile'>;
  /** An inventory cluster's ClusterProfile ControlPlaneHealthy condition: 1 true, 0 false; absent while unknown. */
  clusterProfileHealthy: GaugeSink<'cluster'>;
  /** Changes of the locality tier an importing cluster uses for a Service. */
  localityTierChanges: CounterSink<'cluster'>;
  /** Services with locality tiers per importing cluster, by the tier in use ("0", "1", …, "all", "inactive"). */
  localityServices: GaugeSink<'cluster' | 'tier'>;
  /** Creates a capability's series at their starting values. */
  addCapability(capability: string): void;
  /** Creates a cluster's series at their starting values, before anything is known of it. */
  addCluster(cluster: string): void;
  /** Drops every series of a cluster that left the fleet. */
  removeCluster?(cluster: string): Promise<void> | void;
  /** Creates the companion series of a cluster whose policies may span `remotes`, at zero. */
  addPolicyCluster(cluster: string, remotes: readonly string[]): void;
}
