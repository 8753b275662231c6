// What "differs" means for a replica: only the fields mcsync controls, normalized the way the
// apiserver defaults them, so a converged object never looks changed. The planner uses it to
// decide whether to write, the writer to decide whether a conflicting live object is already
// right, and overlayService to build an update that keeps what the server set. Rendering
// writes slice ports in the same normal form, so a slice read back compares equal to its render.
import type { Endpoint, EndpointPort, EndpointSlice, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule, Service } from '../vocab/objects.ts';
import { canonicalJson, cmp } from './canonical.ts';

/** Ports normalized as the apiserver returns them (name "" and protocol TCP by default), in a fixed order. */
export function normalizeSlicePorts(ports: readonly EndpointPort[] | null | undefined): EndpointPort[] {
  return (ports ?? [])
    .map((p) => {
      const out: EndpointPort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP' };
      if (p.port !== undefined) out.port = p.port;
      if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
      return out;
    })
    .sort((a, b) => cmp(canonicalJson(a), canonicalJson(b)));
}

const routed = (svc: Service) => (svc.spec.type ?? 'ClusterIP') !== 'ExternalName';

export function serviceProjection(svc: Service): string {
  const selector = svc.spec.selector && Object.keys(svc.spec.selector).length > 0 ? svc.spec.selector : undefined;
  return canonicalJson({
    labels: svc.metadata.labels ?? {},
    annotations: svc.metadata.annotations ?? {},
    type: svc.spec.type ?? 'ClusterIP',
    clusterIP: svc.spec.clusterIP === 'None' ? 'None' : undefined,
    externalName: svc.spec.externalName,
    ports: (svc.spec.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port, appProtocol: p.appProtocol })),
    sessionAffinity: svc.spec.sessionAffinity ?? 'None',
    sessionAffinityConfig: svc.spec.sessionAffinityConfig,
    // As the apiserver defaults them: SingleStack, Cluster. A headless selectorless Service gets
    // RequireDualStack whatever was asked, and an ExternalName one no traffic policy at all.
    ipFamilyPolicy: routed(svc) && svc.spec.clusterIP !== 'None' ? (svc.spec.ipFamilyPolicy ?? 'SingleStack') : undefined,
    internalTrafficPolicy: routed(svc) ? (svc.spec.internalTrafficPolicy ?? 'Cluster') : undefined,
    trafficDistribution: svc.spec.trafficDistribution,
    // Never written by mcsync; one found on a replica (put there by hand) is taken off.
    externalIPs: svc.spec.externalIPs && svc.spec.externalIPs.length > 0 ? svc.spec.externalIPs : undefined,
    // A selector on a replica would make the local controller write slices of its own next to ours.
    selector,
  });
}

export function serviceSpecProjection(svc: Service): string {
  const p = JSON.parse(serviceProjection(svc)) as Record<string, unknown>;
  delete p['labels'];
  delete p['annotations'];
  return canonicalJson(p);
}

export function endpointsProjection(endpoints: readonly Endpoint[] | null | undefined): string {
  return canonicalJson(
    (endpoints ?? []).map((ep) => ({
      addresses: ep.addresses ?? [],
      conditions: { ready: ep.conditions?.ready, serving: ep.conditions?.serving, terminating: ep.conditions?.terminating },
      hostname: ep.hostname,
      zone: ep.zone,
      hints: ep.hints?.forZones?.length || ep.hints?.forNodes?.length ? { forZones: ep.hints.forZones ?? [], forNodes: ep.hints.forNodes ?? [] } : undefined,
    })),
  );
}

export function sliceProjection(slice: EndpointSlice): string {
  const head = canonicalJson({
    labels: slice.metadata.labels ?? {},
    annotations: slice.metadata.annotations ?? {},
    addressType: slice.addressType,
    ports: normalizeSlicePorts(slice.ports),
  });
  // JSON text holds no raw newline, so the two parts cannot run into each other; the endpoints'
  // text is appended rather than nested, which would escape every quote of it once more.
  return `${head}\n${endpointsProjection(slice.endpoints)}`;
}

/** Fields that only make sense for NodePort / LoadBalancer; the apiserver rejects some of them on a ClusterIP Service. */
const TYPE_DEPENDENT_FIELDS = [
  'healthCheckNodePort',
  'externalTrafficPolicy',
  'loadBalancerIP',
  'loadBalancerSourceRanges',
  'loadBalancerClass',
  'allocateLoadBalancerNodePorts',
] as const;

/** The existing object with mcsync's fields laid over it: server-set fields (clusterIP, ipFamilies, resourceVersion) survive a PUT; externalIPs do not. */
export function overlayService(existing: Service, desired: Service): Service {
  const spec: Service['spec'] = { ...existing.spec };
  delete spec.selector;
  if (desired.spec.type !== existing.spec.type) for (const f of TYPE_DEPENDENT_FIELDS) delete spec[f];
  spec.type = desired.spec.type;
  if (desired.spec.clusterIP === 'None') spec.clusterIP = 'None';
  for (const f of ['externalName', 'ports', 'sessionAffinity', 'sessionAffinityConfig', 'internalTrafficPolicy', 'trafficDistribution'] as const) {
    if (desired.spec[f] === undefined) delete spec[f];
    else spec[f] = structuredClone(desired.spec[f]) as never;
  }
  delete spec.externalIPs;
  if (routed(desired) && desired.spec.clusterIP !== 'None') {
    // Left out, the apiserver would keep the old policy; SingleStack releases a secondary family.
    const policy = desired.spec.ipFamilyPolicy ?? 'SingleStack';
    spec.ipFamilyPolicy = policy;
    if (policy === 'SingleStack') {
      if (spec.clusterIPs && spec.clusterIPs.length > 1) spec.clusterIPs = spec.clusterIPs.slice(0, 1);
      if (spec.ipFamilies && spec.ipFamilies.length > 1) spec.ipFamilies = spec.ipFamilies.slice(0, 1);
    }
  }
  const metadata = { ...existing.metadata, labels: { ...desired.metadata.labels }, annotations: { ...desired.metadata.annotations } };
  return { ...existing, apiVersion: 'v1', kind: 'Service', metadata, spec };
}

/** The policyTypes the apiserver fills in when a policy has none: Ingress, plus Egress when it has egress rules. */
export function effectivePolicyTypes(policy: NetworkPolicy): ('Ingress' | 'Egress')[] {
  if (policy.spec.policyTypes && policy.spec.policyTypes.length > 0) return [...policy.spec.policyTypes];
  return policy.spec.egress && policy.spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function peerProjection(p: NetworkPolicyPeer): unknown {
  return { podSelector: p.podSelector, namespaceSelector: p.namespaceSelector, ipBlock: p.ipBlock && { cidr: p.ipBlock.cidr, except: p.ipBlock.except ?? [] } };
}

function ruleProjection(r: NetworkPolicyRule, peers: 'from' | 'to'): unknown {
  return {
    ports: (r.ports ?? []).map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port, endPort: p.endPort })),
    peers: (r[peers] ?? []).map(peerProjection),
  };
}

/** What mcsync controls in a companion NetworkPolicy: labels, annotations and the spec, as the apiserver defaults it. */
export function networkPolicyProjection(policy: NetworkPolicy): string {
  return canonicalJson({
    labels: policy.metadata.labels ?? {},
    annotations: policy.metadata.annotations ?? {},
    podSelector: { matchLabels: policy.spec.podSelector.matchLabels ?? {}, matchExpressions: policy.spec.podSelector.matchExpressions ?? [] },
    policyTypes: effectivePolicyTypes(policy),
    ingress: (policy.spec.ingress ?? []).map((r) => ruleProjection(r, 'from')),
    egress: (policy.spec.egress ?? []).map((r) => ruleProjection(r, 'to')),
  });
}

export type ReplicaKind = 'Service' | 'EndpointSlice' | 'NetworkPolicy';
export type Replica = Service | EndpointSlice | NetworkPolicy;

/** Whether a live replica already holds everything mcsync wants in it (a write would change nothing it controls). */
export function replicaMatches(kind: ReplicaKind, live: Replica, wanted: Replica): boolean {
  if (kind === 'Service') return serviceProjection(live as Service) === serviceProjection(wanted as Service);
  if (kind === 'NetworkPolicy') return networkPolicyProjection(live as NetworkPolicy) === networkPolicyProjection(wanted as NetworkPolicy);
  return sliceProjection(live as EndpointSlice) === sliceProjection(wanted as EndpointSlice);
}


/**
 * Whether the server now holds what a create or update meant to write, by the fields mcsync
 * controls: then the plan that made it is already carried out, and planning again would find
 * nothing to do. A server that changed the object on the way in (a mutating webhook, a
 * conflicting writer whose copy the writer laid ours over) answers with something else.
 */
export function writtenAsPlanned(kind: string, planned: unknown, answered: unknown): boolean {
  if (kind === 'Service') return serviceProjection(planned as Service) === serviceProjection(answered as Service);
  if (kind === 'EndpointSlice') return sliceProjection(planned as EndpointSlice) === sliceProjection(answered as EndpointSlice);
  return false;
}
