// What the controller keeps of the objects it caches from other clusters: the fields the
// planner, the guard and the status read, nothing else (client-go's cache transforms). A source
// slice keeps its endpoints' addresses, conditions, hostname, zone and where they run (for the
// provenance annotation); a Pod keeps what a NetworkPolicy peer is made of; a Node, its pod CIDRs. Owner references,
// uids, generations, topology hints, container specs and statuses are never read, and at tens
// of thousands of endpoints and pods they are most of the memory a cache holds.
import { ZONE_LABEL } from '../vocab/labels.ts';
import type { Endpoint, EndpointSlice, Node, ObjectMeta, Pod } from '../vocab/objects.ts';

function meta(m: ObjectMeta, keep: { deletion?: boolean } = {}): ObjectMeta {
  const out: ObjectMeta = { name: m.name };
  if (m.namespace !== undefined) out.namespace = m.namespace;
  if (m.resourceVersion !== undefined) out.resourceVersion = m.resourceVersion;
  if (m.labels !== undefined) out.labels = m.labels;
  if (keep.deletion && m.deletionTimestamp !== undefined) out.deletionTimestamp = m.deletionTimestamp;
  return out;
}

function endpoint(ep: Endpoint): Endpoint {
  const out: Endpoint = { addresses: ep.addresses };
  if (ep.conditions !== undefined) out.conditions = ep.conditions;
  if (ep.hostname !== undefined) out.hostname = ep.hostname;
  if (ep.zone !== undefined) out.zone = ep.zone;
  if (ep.nodeName !== undefined) out.nodeName = ep.nodeName;
  if (ep.targetRef?.name !== undefined) {
    out.targetRef = { name: ep.targetRef.name };
    if (ep.targetRef.namespace !== undefined) out.targetRef.namespace = ep.targetRef.namespace;
  }
  return out;
}

/** A source cluster's EndpointSlice as its cache keeps it. */
export function sourceSliceForCache(s: EndpointSlice): EndpointSlice {
  const out: EndpointSlice = { metadata: meta(s.metadata), addressType: s.addressType, endpoints: s.endpoints ? s.endpoints.map(endpoint) : null };
  if (s.ports !== undefined) out.ports = s.ports;
  return out;
}

/** A Pod as the NetworkPolicy caches keep it: labels, addresses, phase, host networking, going away. */
export function podForCache(p: Pod): Pod {
  const out: Pod = { metadata: meta(p.metadata, { deletion: true }) };
  if (p.spec?.hostNetwork !== undefined) out.spec = { hostNetwork: p.spec.hostNetwork };
  if (p.status) {
    const status: NonNullable<Pod['status']> = {};
    if (p.status.phase !== undefined) status.phase = p.status.phase;
    if (p.status.podIP !== undefined) status.podIP = p.status.podIP;
    if (p.status.podIPs !== undefined) status.podIPs = p.status.podIPs.map((x) => ({ ip: x.ip }));
    out.status = status;
  }
  return out;
}

/**
 * A Node reduced to what nodePodCidrs (node-cidrs.ts) reads, and what a store and a reflector need (name,
 * resourceVersion). A Node's status (images, conditions, addresses) is most of it, and a
 * cluster may have thousands: a cache of whole Nodes would cost megabytes to keep a few CIDRs.
 */
export function nodeForCache(node: Node): Node {
  const { name, resourceVersion } = node.metadata;
  const spec: NonNullable<Node['spec']> = {};
  if (node.spec?.podCIDR) spec.podCIDR = node.spec.podCIDR;
  if (node.spec?.podCIDRs) spec.podCIDRs = [...node.spec.podCIDRs];
  // The zone is what locality tiers hint for (model/locality): the one label of a Node kept.
  const zone = node.metadata.labels?.[ZONE_LABEL];
  return { metadata: { name, ...(resourceVersion !== undefined ? { resourceVersion } : {}), ...(zone !== undefined ? { labels: { [ZONE_LABEL]: zone } } : {}) }, spec };
}
