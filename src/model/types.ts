// Plain data the pure core works on: what the kube edge read (snapshots), what mcsync wants
// to exist (desired objects) and the difference (a plan). No I/O, no client types.

/** Minimal Kubernetes object shape; the model only reads and writes these fields. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  deletionTimestamp?: string;
}

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
  nodePort?: number;
}

export interface Service {
  apiVersion?: 'v1';
  kind?: 'Service';
  metadata: ObjectMeta;
  spec: {
    type?: string;
    selector?: Record<string, string>;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: ServicePort[];
    ipFamilies?: string[];
    ipFamilyPolicy?: string;
    sessionAffinity?: string;
    sessionAffinityConfig?: unknown;
    publishNotReadyAddresses?: boolean;
    internalTrafficPolicy?: string;
    externalTrafficPolicy?: string;
    externalIPs?: string[];
    loadBalancerIP?: string;
    loadBalancerSourceRanges?: string[];
    loadBalancerClass?: string;
    healthCheckNodePort?: number;
    allocateLoadBalancerNodePorts?: boolean;
    trafficDistribution?: string;
    [other: string]: unknown;
  };
  status?: unknown;
}

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  zone?: string;
  nodeName?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string };
  hints?: unknown;
  deprecatedTopology?: Record<string, string>;
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSlice {
  apiVersion?: 'discovery.k8s.io/v1';
  kind?: 'EndpointSlice';
  metadata: ObjectMeta;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[] | null;
  ports?: EndpointPort[] | null;
}

export interface Namespace {
  apiVersion?: 'v1';
  kind?: 'Namespace';
  metadata: ObjectMeta;
}

/** What mcsync read from one source cluster: the Services its export rules can select and their slices. */
export interface SourceSnapshot {
  cluster: string;
  /** All Services in the namespaces the cluster's rules look at. */
  services: Service[];
  /** EndpointSlices by "namespace/serviceName" (from the kubernetes.io/service-name label). */
  slices: Map<string, EndpointSlice[]>;
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
}

/** A Service some export rule matched but mcsync will not export, and why (for status output). */
export interface ExcludedService {
  cluster: string;
  namespace: string;
  name: string;
  reason: string;
}

export type ResourceKind = 'Service' | 'EndpointSlice' | 'Namespace';

export interface ObjectRef {
  kind: ResourceKind;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export type Action =
  | { verb: 'create'; cluster: string; kind: ResourceKind; object: Service | EndpointSlice | Namespace; reason: string }
  | { verb: 'update'; cluster: string; kind: ResourceKind; object: Service | EndpointSlice; reason: string }
  | { verb: 'delete'; cluster: string; ref: ObjectRef; reason: string };

export type ConflictKind =
  | 'not-owned'          // destination has a Service of that name mcsync does not own (policy skip)
  | 'port-mismatch'      // several sources export the name with different ports; the oldest wins
  | 'type-mismatch'      // several sources disagree on headless / ExternalName; the oldest wins
  | 'missing-namespace'; // destination lacks the namespace and createNamespaces is off

export interface Conflict {
  kind: ConflictKind;
  cluster: string;
  namespace: string;
  name: string;
  message: string;
}

export interface Plan {
  actions: Action[];
  conflicts: Conflict[];
}
