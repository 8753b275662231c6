// The Kubernetes objects mcsync reads and writes, reduced to the fields it uses. Plain data,
// shared by config, model and kube; imports nothing.

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

/** Where kube-proxy should use an endpoint: in these zones, on these nodes (at most 8 of each). */
export interface EndpointHints {
  forZones?: { name: string }[];
  forNodes?: { name: string }[];
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  zone?: string;
  nodeName?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string };
  hints?: EndpointHints;
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

/** A Kubernetes label selector as an API object (not the text form of vocab/selector.ts). */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PodIP {
  ip: string;
}

/** What mcsync reads of a Pod: its labels, whether it is going away, and its addresses. */
export interface Pod {
  apiVersion?: 'v1';
  kind?: 'Pod';
  metadata: ObjectMeta;
  spec?: {
    /** A host-network pod's IP is its node's: never a peer (it would admit the whole node). */
    hostNetwork?: boolean;
    nodeName?: string;
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: PodIP[];
  };
}

/** What mcsync reads of a Node: the pod ranges it declares, which bound what its cluster may export. */
export interface Node {
  apiVersion?: 'v1';
  kind?: 'Node';
  metadata: ObjectMeta;
  spec?: {
    podCIDR?: string;
    podCIDRs?: string[];
  };
}

export interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface IPBlock {
  cidr: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelectorObject;
  namespaceSelector?: LabelSelectorObject;
  ipBlock?: IPBlock;
}

/** An ingress rule has `from`, an egress rule `to`; the same shape otherwise. */
export interface NetworkPolicyRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
}

export interface NetworkPolicy {
  apiVersion?: 'networking.k8s.io/v1';
  kind?: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec: {
    podSelector: LabelSelectorObject;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: NetworkPolicyRule[];
    egress?: NetworkPolicyRule[];
  };
}

export type ResourceKind = 'Service' | 'EndpointSlice' | 'Namespace' | 'NetworkPolicy' | 'ServiceImport' | 'ServiceExport';

export interface ObjectRef {
  kind: ResourceKind;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}
