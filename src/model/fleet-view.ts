// The fleet as the status page draws it: the data shapes of the controller's `/fleet` view. They
// live here, below both engine and server, because the engine builds them
// (engine/controller/fleet-view.ts, fleet-imports.ts) and the page's script (server/page-script.ts)
// is type-checked against them, and the layering rule keeps engine and server apart.
import type { LocalityState } from './locality/plan.ts';
import type { ServiceKey } from '../vocab/keys.ts';
import type { ServiceImportType } from '../vocab/mcs.ts';

/**
 * Worst first: an edge takes the first that applies. `pending` is a destination no reconcile
 * has reached yet (just started, or a standby that does not write).
 */
export const EDGE_STATES = ['failing', 'conflict', 'stale', 'pending', 'in-sync'] as const;
export type EdgeState = (typeof EDGE_STATES)[number];

/** How a cluster's watches are doing: the engine's ClusterHealth is this plus the cluster's name. */
export interface HealthState {
  connected: boolean;
  synced: boolean;
  stale: boolean;
  unhealthySince?: string;
  lastSeen?: string;
  lastError?: string;
}

export interface FleetCluster extends HealthState {
  name: string;
  /** Has export rules: its Services are watched. */
  source: boolean;
  /** This instance writes replicas into it. */
  destination: boolean;
  /** Where it came from: the config file's clusters, or a ClusterProfile of the inventory (absent in older views: the file). */
  origin?: FleetOrigin;
}

export type FleetOrigin =
  | { kind: 'file' }
  | { kind: 'inventory'; profile: string; healthy?: boolean; health: string };

export interface FleetSource {
  cluster: string;
  connected: boolean;
  stale: boolean;
  /** When its watches began failing, if they are. */
  unhealthySince?: string;
  staleAfterSeconds: number;
}

export interface FleetEdge {
  source: string;
  destination: string;
  state: EdgeState;
  detail?: string;
  /** The last propagation of this key from this source to this destination. */
  latencySeconds?: number;
  latencyAt?: string;
}

export interface FleetExport {
  key: ServiceKey;
  namespace: string;
  name: string;
  sources: FleetSource[];
  endpoints: { ready: number; total: number };
  /** Per destination, the worst of its edges. */
  destinations: { cluster: string; state: EdgeState; detail?: string }[];
  edges: FleetEdge[];
}

/** A multi-cluster service (config `mcs: true`): who exports it and where this instance imports it. */
export interface FleetImport {
  key: ServiceKey;
  namespace: string;
  name: string;
  /** Clusters whose ServiceExport is a constituent of the merged service, as the last reconcile found. */
  exporters: string[];
  /** Clusters where this instance's ServiceImport exists, sorted. */
  importedIn: string[];
  /** From those ServiceImports; absent until one exists. */
  type?: ServiceImportType;
  /** Each importing cluster's clusterset IPs (its derived Service's), where already known. */
  ips: { cluster: string; ips: string[] }[];
  state: EdgeState;
  detail?: string;
}

export interface FleetView {
  generatedAt: string;
  /** In config order. */
  clusters: FleetCluster[];
  /** By key. */
  exports: FleetExport[];
  /** Multi-cluster services (ServiceExport/ServiceImport), by key; empty unless `mcs` is on. */
  imports: FleetImport[];
  /** Endpoints of exported Services the guard refuses now: never replicated or imported anywhere. */
  rejected: FleetRejection[];
  /** The locality tier each importing cluster uses, per Service with tiers (absent in older views). */
  locality?: FleetLocality[];
}

/** One Service with locality tiers in one importing cluster: the tier it uses there. */
export type FleetLocality = LocalityState;

/** One refused endpoint (or port, or slice), as model/endpoint-guard.ts's Rejection. */
export interface FleetRejection {
  cluster: string;
  namespace: string;
  name: string;
  reason: string;
  what: string;
  count: number;
}
