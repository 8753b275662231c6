// The replica EndpointSlices of one Service in one destination: its slice groups packed
// against the slices already there (so endpoints stay put), each built with the standard and
// Multi-Cluster Services labels and the ownership contract. Pure.
import type { Config } from '../config/types.ts';
import { cmp, sortedRecord } from './canonical.ts';
import { clusterId, sourceOfSlice } from './cluster-id.ts';
import {
  ENDPOINT_ORIGINS,
  isOwned,
  MCS_SERVICE_NAME,
  MCS_SOURCE_CLUSTER,
  ownershipLabels,
  SERVICE_NAME,
  SLICE_MANAGED_BY,
  SLICE_MANAGED_BY_VALUE,
  SOURCE_CLUSTER_NAME,
} from '../vocab/labels.ts';
import { packEndpoints, type PackedSlice } from './packing.ts';
import { usesZoneHints, withZoneHint } from './routing.ts';
import { copyEndpoint, firstAddress, sliceGroups, type SliceGroup } from './slice-groups.ts';
import { numberAfter } from './slice-names.ts';
import type { Export } from './types.ts';
import type { Endpoint, EndpointSlice } from '../vocab/objects.ts';

/** The built-in EndpointSlice controller's default, so replicas look like native slices to kube-proxy. */
const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

function buildSlice(config: Config, namespace: string, serviceName: string, group: SliceGroup, n: number, endpoints: Endpoint[], opts: RenderSlicesOptions): EndpointSlice {
  const origins = endpoints
    .map((ep) => firstAddress(ep)!)
    .filter((f) => group.origins.has(f))
    .sort(cmp);
  const annotations: Record<string, string> = { ...group.stampAnnotations };
  if (origins.length > 0) {
    // Built by hand: JSON.stringify would reorder keys that look like integers (possible for FQDN addresses).
    annotations[ENDPOINT_ORIGINS] = `{${origins.map((f) => `${JSON.stringify(f)}:${JSON.stringify(group.origins.get(f))}`).join(',')}}`;
  }
  const labels = sortedRecord({
    ...group.stampLabels,
    [SERVICE_NAME]: serviceName,
    [SLICE_MANAGED_BY]: SLICE_MANAGED_BY_VALUE,
    [MCS_SOURCE_CLUSTER]: clusterId(config, group.sourceCluster),
    // Only where the id is not the name: otherwise the MCS label says it, and slices stay as they were.
    ...(clusterId(config, group.sourceCluster) !== group.sourceCluster ? { [SOURCE_CLUSTER_NAME]: group.sourceCluster } : {}),
    [MCS_SERVICE_NAME]: opts.mcsServiceName ?? serviceName,
    ...opts.extraLabels,
    ...ownershipLabels(config.instance),
  });
  const metadata: EndpointSlice['metadata'] = { name: `${group.prefix}${n}`, namespace, labels };
  if (Object.keys(annotations).length > 0) metadata.annotations = sortedRecord(annotations);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata,
    addressType: group.addressType,
    // The built-in controller hints only Services with a selector: for these, mcsync is the one who must.
    endpoints: endpoints.map(hinter(group.sourceCluster, opts)),
    ports: group.ports.map((p) => ({ ...p })),
  };
}

/** How each endpoint of a source is hinted: by the locality tier in use, else as its own distribution asks, else not. */
function hinter(source: string, opts: RenderSlicesOptions): (ep: Endpoint) => Endpoint {
  const { hintOf } = opts;
  if (hintOf) return (ep) => ({ ...copyEndpoint(ep), hints: { forZones: hintOf(source, ep).map((name) => ({ name })) } });
  return usesZoneHints(opts.trafficDistribution) ? (ep) => withZoneHint(copyEndpoint(ep)) : copyEndpoint;
}

export interface RenderSlicesOptions {
  maxEndpointsPerSlice?: number;
  /** Sources whose slices are left exactly as they are (unavailable clusters). */
  skipSources?: ReadonlySet<string>;
  /** The multi-cluster service these slices serve, when it is not the Service they belong to (a derived Service). */
  mcsServiceName?: string;
  /** Labels that tell these slices apart from replicas (those of a ServiceImport's derived Service). */
  extraLabels?: Record<string, string>;
  /** The trafficDistribution of the Service the slices belong to: it decides whether endpoints carry zone hints. */
  trafficDistribution?: string;
  /** The locality tier's hint of each endpoint of a source (model/locality/plan.ts); over trafficDistribution. */
  hintOf?: (sourceCluster: string, ep: Endpoint) => string[];
}

/**
 * The replica slices of one Service in one destination. `existing` is what the destination
 * holds in that namespace (owned or not): slices of a group keep their endpoints, and names
 * taken by anything else are never reused.
 */
export function renderSlices(
  config: Config,
  namespace: string,
  serviceName: string,
  exports: readonly Export[],
  existing: readonly EndpointSlice[],
  opts: RenderSlicesOptions = {},
): EndpointSlice[] {
  const max = opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
  const skip = opts.skipSources ?? new Set<string>();
  const groups = sliceGroups(namespace, serviceName, exports).filter((g) => !skip.has(g.sourceCluster));
  const members = new Map<SliceGroup, PackedSlice[]>(groups.map((g) => [g, []]));
  const memberNames = new Set<string>();
  for (const slice of existing) {
    if ((slice.metadata.namespace ?? namespace) !== namespace) continue;
    // Only a live slice of ours, from the same source, is ours to repack; anything else keeps its name.
    if (!isOwned(slice.metadata, config.instance) || slice.metadata.deletionTimestamp) continue;
    for (const g of groups) {
      const n = numberAfter(slice.metadata.name, g.prefix);
      if (n === undefined || sourceOfSlice(config, slice) !== g.sourceCluster) continue;
      members.get(g)!.push({ n, endpoints: slice.endpoints ?? [] });
      memberNames.add(slice.metadata.name);
    }
  }
  const reserved = new Set(existing.map((s) => s.metadata.name).filter((name) => !memberNames.has(name)));
  const out: EndpointSlice[] = [];
  for (const g of groups) {
    const packed = packEndpoints(g.endpoints, members.get(g)!, max, (n) => !reserved.has(`${g.prefix}${n}`));
    for (const p of packed) out.push(buildSlice(config, namespace, serviceName, g, p.n, p.endpoints, opts));
  }
  return out.sort((a, b) => cmp(a.metadata.name, b.metadata.name));
}
