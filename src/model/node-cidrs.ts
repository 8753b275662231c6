// A cluster's pod ranges as its Nodes declare them (spec.podCIDRs, or the older single
// spec.podCIDR): what the endpoint guard bounds a source by when the config names no
// podCIDRs. Pure: `sync` lists the Nodes, the controller watches them (keeping only what this
// reads, cache-projections.ts nodeForCache); both end here.
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
