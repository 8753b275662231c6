// A cluster's pod ranges as its Nodes declare them (spec.podCIDRs, or the older single
// spec.podCIDR): what the endpoint guard bounds a source by when the config names no
// podCIDRs. Pure: `sync` lists the Nodes, the controller watches them; both end here.
import { cmp } from './canonical.ts';
import type { Node } from '../vocab/objects.ts';

/**
 * The sorted, de-duplicated pod CIDRs of `nodes`; undefined when none declares one (the range
 * check is then off for the cluster, as when the Nodes cannot be read at all).
 */
export function nodePodCidrs(nodes: Iterable<Node>): string[] | undefined {
  const cidrs = new Set<string>();
  for (const n of nodes) {
    for (const c of n.spec?.podCIDRs ?? []) cidrs.add(c);
    if (n.spec?.podCIDR) cidrs.add(n.spec.podCIDR);
  }
  return cidrs.size > 0 ? [...cidrs].sort(cmp) : undefined;
}

/**
 * A Node reduced to what nodePodCidrs reads, and what a store and a reflector need (name,
 * resourceVersion). A Node's status (images, conditions, addresses) is most of it, and a
 * cluster may have thousands: a cache of whole Nodes would cost megabytes to keep a few CIDRs.
 */
export function projectNode(node: Node): Node {
  const { name, resourceVersion } = node.metadata;
  const spec: NonNullable<Node['spec']> = {};
  if (node.spec?.podCIDR) spec.podCIDR = node.spec.podCIDR;
  if (node.spec?.podCIDRs) spec.podCIDRs = [...node.spec.podCIDRs];
  return { metadata: { name, ...(resourceVersion !== undefined ? { resourceVersion } : {}) }, spec };
}
