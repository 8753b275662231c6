// Plain data the pure core works on: what the kube edge read (snapshots), what mcsync wants
// to exist (desired objects) and the difference (a plan). No I/O, no client types.
import type { ServiceKey } from '../vocab/keys.ts';
import type { Conflict } from './conflicts.ts';
import type { EndpointSlice, Namespace, NetworkPolicy, ObjectRef, Service } from '../vocab/objects.ts';
import type { ServiceExport, ServiceImport } from '../vocab/mcs.ts';
import type { ClusterSelector } from '../vocab/cluster-selectors.ts';
import type { LocalityState } from './locality/plan.ts';

/** What mcsync read from one source cluster: the Services its export rules can select and their slices. */
export interface SourceSnapshot {
  cluster: string;
  /** All Services in the namespaces the cluster's rules look at. */
  services: Service[];
  /** EndpointSlices by "namespace/serviceName" (from the kubernetes.io/service-name label). */
  slices: Map<string, EndpointSlice[]>;
  /**
   * The pod CIDRs its Nodes declare (spec.podCIDRs); undefined when not read (the config names
   * the ranges, or the Nodes could not be listed). The config's podCIDRs win over these.
   */
  podCidrs?: string[];
}

/** What mcsync read from one destination cluster. */
export interface DestinationSnapshot {
  cluster: string;
  namespaces: Set<string>;
  /** Every Service in the namespaces replicas go to, owned by mcsync or not (to detect conflicts). */
  services: Service[];
  /** EndpointSlices carrying this instance's ownership label. */
  ownedSlices: EndpointSlice[];
}

/** One exported Service: a source Service chosen by an export rule, with its slices. */
export interface Export {
  sourceCluster: string;
  service: Service;
  slices: EndpointSlice[];
  destinations: string[];
  conflictPolicy: 'skip' | 'merge';
  /** Labels / annotations stamped on replicas from this source (cluster config). */
  stampLabels: Record<string, string>;
  stampAnnotations: Record<string, string>;
  /** Locality tiers (KEP-5939) the export rule gives, nearest first. */
  clusterSelectors?: ClusterSelector[];
}

/** A Service some export rule matched but mcsync will not export, and why (for status output). */
export interface ExcludedService {
  cluster: string;
  namespace: string;
  name: string;
  reason: string;
}

/**
 * One write the plan asks for. Every action names the Service key it serves (a companion
 * NetworkPolicy: "namespace/name" of the user's policy it belongs to) (a Namespace is
 * created on behalf of the first key, in order, that needs it), the one object it touches and
 * why. create and update carry the object to send; delete carries only the ref, whose uid and
 * resourceVersion become the delete's preconditions. An update with `subresource: 'status'`
 * writes only the object's status (a ServiceImport's, or a user's ServiceExport's conditions).
 */
export type Action =
  | { verb: 'create'; cluster: string; key: ServiceKey; ref: ObjectRef; object: Service | EndpointSlice | Namespace | NetworkPolicy | ServiceImport; reason: string }
  | { verb: 'update'; cluster: string; key: ServiceKey; ref: ObjectRef; object: Service | EndpointSlice | NetworkPolicy | ServiceImport | ServiceExport; reason: string; subresource?: 'status' }
  | { verb: 'delete'; cluster: string; key: ServiceKey; ref: ObjectRef; reason: string };

export interface Plan {
  actions: Action[];
  conflicts: Conflict[];
  /** The locality tier each Service with tiers uses in the destination (model/locality/plan.ts). */
  locality?: LocalityState[];
}
