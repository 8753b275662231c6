// The config as the rest of mcsync sees it: validated, defaults applied, paths resolved,
// regular expressions compiled. Produced by load.ts; consumed by model/ and engine/.
import type { ConflictPolicy } from './schema.ts';
import type { LabelSelector } from '../vocab/selector.ts';
import type { ExecConfig } from '../vocab/inventory.ts';
import type { ClusterSelector } from '../vocab/cluster-selectors.ts';

export type { ConflictPolicy };

/** Where in the config file a value came from, for error messages that name file and line. */
export interface SourcePos {
  file: string;
  line: number;
  /** Dotted path, e.g. clusters[1].services[0].nameMatches[2]. */
  field: string;
}

export interface ExportRule {
  /** undefined = all namespaces. */
  namespace?: string;
  nameMatches?: RegExp[];
  names?: string[];
  /** Parsed when the config loads; the text was checked there, so matching cannot fail. */
  selector?: LabelSelector;
  exclude?: string[];
  /** Resolved destination cluster names (never includes the source itself). */
  exportTo: string[];
  conflictPolicy: ConflictPolicy;
  force: boolean;
  pos: SourcePos;
  /**
   * No exportTo was written: every other cluster. Set so that clusters an inventory adds after
   * the file loads join exportTo too (engine/inventory.ts).
   */
  exportToAll?: boolean;
  /** Locality tiers (KEP-5939), nearest first; absent: every cluster alike. */
  clusterSelectors?: ClusterSelector[];
  /** Over the cluster's stalePolicy for the Services this rule exports. */
  stalePolicy?: StalePolicy;
}

export type StalePolicy = 'keep' | 'not-ready' | 'last-resort' | 'withdraw';

export interface ClusterConfig {
  name: string;
  /** Absolute path; '' when inCluster. */
  kubeconfig: string;
  /** No kubeconfig given: use the ServiceAccount of the pod mcsync runs in. */
  inCluster: boolean;
  staleAfterMs: number;
  stalePolicy: StalePolicy;
  context?: string;
  exports: ExportRule[];
  replicaLabels: Record<string, string>;
  replicaAnnotations: Record<string, string>;
  /** Pod address ranges as written (CIDR blocks, validated); undefined: read from the Nodes. */
  podCIDRs?: string[];
  pos: SourcePos;
  /** Position of the kubeconfig / context fields, for reachability errors. */
  kubeconfigPos: SourcePos;
  contextPos?: SourcePos;
  /** Where the cluster came from; absent: the config file's clusters list. */
  origin?: ClusterOrigin;
  /** Set for inventory clusters: the server and exec plugin of its access provider, instead of a kubeconfig. */
  access?: ProfileAccess;
  /** Labels an inventory cluster carries (its profile's labels and properties); what inventory rules match. */
  labels?: Record<string, string>;
  /**
   * Its id (model/cluster-id.ts), learned when it connects: its ClusterProperty
   * cluster.clusterset.k8s.io, when it has one that differs from its name.
   */
  id?: string;
  /** Properties locality tiers select on, as the config gives them (they win over ClusterProperty objects). */
  properties?: Record<string, string>;
}

export type ClusterOrigin =
  | { kind: 'file' }
  | {
    kind: 'inventory';
    /** The ClusterProfile's namespace and name on the hub. */
    namespace: string;
    profile: string;
    /** The access provider whose plugin gives its credentials. */
    provider: string;
    /** Its ControlPlaneHealthy condition: true, false, or undefined when the profile has none (or Unknown). */
    healthy?: boolean;
    /** The condition's reason and message, or why there is none. */
    health: string;
    /** spec.clusterManager.name: who maintains the profile (e.g. open-cluster-management). */
    clusterManager?: string;
  };

/** How mcsync reaches an inventory cluster: what its access provider and the provider file say. */
export interface ProfileAccess {
  /** namespace/name of the ClusterProfile, for messages. */
  profile: string;
  provider: string;
  server: string;
  /** Base64 PEM, as certificate-authority-data in a kubeconfig. */
  caData?: string;
  tlsServerName?: string;
  insecureSkipTlsVerify?: boolean;
  /** The plugin, with the profile's additional args and env applied as the provider's policies say. */
  exec: ExecConfig;
  /** The profile's client.authentication.k8s.io/exec extension: the plugin's spec.cluster.config. */
  execClusterConfig?: unknown;
  execTimeoutMs: number;
}

/** One provider of the KEP-5339 provider file. */
export interface AccessProviderConfig {
  name: string;
  exec: ExecConfig;
  argsPolicy: 'Append' | 'Ignore';
  envsPolicy: 'AppendIfNotExists' | 'Replace' | 'Ignore';
}

export interface InventoryRule {
  names?: string[];
  nameMatches?: RegExp[];
  selector?: LabelSelector;
  /** exportTo holds only the names written; with exportToAll it is filled when the inventory resolves. */
  exports: ExportRule[];
  replicaLabels: Record<string, string>;
  replicaAnnotations: Record<string, string>;
  podCIDRs?: string[];
  staleAfterMs: number;
  stalePolicy: StalePolicy;
  pos: SourcePos;
}

export interface InventoryConfig {
  /** Absolute path of the hub's kubeconfig; '' with hubInCluster. */
  hubKubeconfig: string;
  hubInCluster: boolean;
  hubContext?: string;
  namespace: string;
  labelSelector?: string;
  providerFile: string;
  providers: AccessProviderConfig[];
  execTimeoutMs: number;
  /** What a running controller does with what a cluster sourced when its profile is deleted. */
  onRemove: 'keep' | 'withdraw';
  rules: InventoryRule[];
  pos: SourcePos;
  hubPos: SourcePos;
  providerFilePos: SourcePos;
}

/** Globs (`*` = any run of characters) as the user wrote them; model/ adds DEFAULT_COPY_EXCLUDES. */
export interface CopyFilter {
  include?: string[];
  exclude: string[];
}

export interface Config {
  /** Absolute path of the file this came from ('' when built in code). */
  file: string;
  instance: string;
  createNamespaces: boolean;
  copyLabels: CopyFilter;
  copyAnnotations: CopyFilter;
  concurrency: number;
  /** Companion NetworkPolicies for policies annotated mcsync.io/remote-clusters (docs/policies.md). */
  networkPolicies: boolean;
  /** The Multi-Cluster Services API: ServiceExports in, ServiceImports out. */
  mcs: boolean;
  controller: {
    writeQps: number;
    writeBurst: number;
    resyncMs: number;
    watchTimeoutSeconds: number;
  };
  leaderElection: {
    /** undefined: decided at start (the local cluster in pull mode, else the first). */
    cluster?: string;
    namespace: string;
    name: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  clusters: ClusterConfig[];
  /** Clusters to read from a Cluster Inventory when a command starts (engine/inventory.ts adds them to clusters). */
  inventory?: InventoryConfig;
}
