// From locality tiers to what kube-proxy reads. KEP-5939's consuming rule: in each importing
// cluster, use the first tier (selector result) with at least one ready or serving endpoint; if
// none has one, use every constituent cluster. kube-proxy's only topology input is the zone hints
// on EndpointSlice endpoints (pkg/proxy/topology.go): when every ready endpoint has a zone hint
// and some are for the node's zone, it uses only those; otherwise every ready endpoint. So:
//
// - an endpoint of the chosen tier is hinted for the importing cluster's zones — its own zone,
//   when the Service prefers the same zone and the tier has a ready endpoint there, and every
//   zone where the tier has none (the KEP: trafficDistribution applies within the chosen tier);
//   one that serves no zone that way is hinted like the other tiers;
// - every other endpoint is hinted for a zone no Node has (OTHER_TIER), so no node picks it
//   while the chosen tier has a ready endpoint;
// - when the chosen tier loses its last ready endpoint, no ready endpoint is hinted for any
//   node's zone and kube-proxy uses them all on its own, before mcsync has written anything;
//   mcsync then moves the hints to the next tier.
//
// Pure. The hints change only when the chosen tier (or the importer's zones, or which zones of
// the tier have a ready endpoint) changes, so unrelated endpoint changes cost no hint writes.

import { MAX_ZONE_HINTS } from '../routing.ts';

export { MAX_ZONE_HINTS };
/** A zone no Node is in: the hint of every endpoint outside the chosen tier. A valid label value, as zone names are. */
export const OTHER_TIER = 'mcsync-other-tier';

export interface TierEndpoint {
  cluster: string;
  zone?: string;
  ready: boolean;
  serving?: boolean;
}

/** Which tier an importing cluster uses: its index in the selector results, or `all` when no tier has a usable endpoint. */
export type TierChoice = { tier: number; clusters: string[] } | { tier: 'all' };

const usable = (e: TierEndpoint) => e.ready || e.serving === true;

export function chooseTier(results: readonly (readonly string[])[], endpoints: readonly TierEndpoint[]): TierChoice {
  for (const [i, clusters] of results.entries()) {
    const members = new Set(clusters);
    if (endpoints.some((e) => members.has(e.cluster) && usable(e))) return { tier: i, clusters: [...clusters] };
  }
  return { tier: 'all' };
}

/** Why locality cannot be carried out by hints in this importing cluster, or undefined when it can. */
export function localityInactive(importerZones: readonly string[]): string | undefined {
  if (importerZones.length === 0) return 'no Node of the importing cluster has a topology.kubernetes.io/zone label';
  if (importerZones.length > MAX_ZONE_HINTS) return `the importing cluster has ${importerZones.length} zones, more than a hint can name (${MAX_ZONE_HINTS})`;
  return undefined;
}

/** An endpoint's zone hints under a chosen tier: a function of its cluster and zone only. */
export type HintOf = (e: { cluster: string; zone?: string | undefined }) => string[];

/**
 * The zone hints of every endpoint under a chosen tier; undefined when the tier is `all` or
 * locality is inactive (then the Service's own distribution, if any, applies). `endpoints` are
 * all the Service's endpoints: which zones the tier covers depends on them all, while the hint of
 * one endpoint then depends only on its cluster and zone, so each slice is built on its own.
 */
export function hintPlan(choice: TierChoice, endpoints: readonly TierEndpoint[], importerZones: readonly string[], preferSameZone: boolean): HintOf | undefined {
  if (choice.tier === 'all' || localityInactive(importerZones) !== undefined) return undefined;
  const tier = new Set(choice.clusters);
  const zones = [...new Set(importerZones)].sort();
  // Zones where the tier has a ready endpoint of that zone: there, same-zone preference can hold.
  const covered = new Set(preferSameZone ? endpoints.filter((e) => tier.has(e.cluster) && e.ready && e.zone !== undefined && zones.includes(e.zone)).map((e) => e.zone!) : []);
  const uncovered = zones.filter((z) => !covered.has(z));
  return (e) => {
    if (!tier.has(e.cluster)) return [OTHER_TIER];
    if (!preferSameZone) return zones;
    const own = e.zone !== undefined && covered.has(e.zone) ? [e.zone] : [];
    const hinted = [...new Set([...own, ...uncovered])].sort();
    // In the tier but of no zone it serves now (another zone's endpoint where every zone has its
    // own): kept out like the other tiers, and every endpoint keeps a hint, as kube-proxy needs.
    return hinted.length > 0 ? hinted : [OTHER_TIER];
  };
}

/** Each endpoint's zone hints for a chosen tier, in the endpoints' order (hintPlan applied to each). */
export function tierHints(choice: TierChoice, endpoints: readonly TierEndpoint[], importerZones: readonly string[], preferSameZone: boolean): string[][] | undefined {
  const hintOf = hintPlan(choice, endpoints, importerZones, preferSameZone);
  return hintOf && endpoints.map(hintOf);
}
