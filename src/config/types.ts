// The config as the rest of mcsync sees it: validated, defaults applied, paths resolved,
// regular expressions compiled. Produced by load.ts; consumed by model/ and engine/.
import type { ConflictPolicy } from './schema.ts';
import type { LabelSelector } from '../vocab/selector.ts';

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
}
