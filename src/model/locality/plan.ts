// Locality tiers for one Service in one importing cluster: which tier it uses now (KEP-5939's
// consuming rule, tiers.ts) and the zone hint each endpoint mcsync writes there gets. The replica
// and the MCS paths both call this once per (Service, importing cluster). Pure.
import type { ClusterConfig, Config } from '../../config/types.ts';
import type { ClusterProperties, ClusterSelector } from '../../vocab/cluster-selectors.ts';
import type { Endpoint, EndpointSlice } from '../../vocab/objects.ts';
import { usesZoneHints, type RoutingInput } from '../routing.ts';
import { byAge } from '../replica-service.ts';
import type { Export } from '../types.ts';
import { selectorResults } from './selectors.ts';
import { chooseTier, hintPlan, localityInactive, type HintOf, type TierEndpoint } from './tiers.ts';

/** What the engine knows of the fleet's places: each cluster's properties and its Nodes' zones. */
export interface LocalityView {
  properties(cluster: string): ClusterProperties;
  /** The distinct zone labels of a cluster's Nodes; undefined when its Nodes are not read. */
  zones(cluster: string): readonly string[] | undefined;
}

/** The tier one importing cluster uses for one Service, as status, metrics and Events show it. */
export interface LocalityState {
  /** The importing cluster. */
  cluster: string;
  namespace: string;
  name: string;
  /** Index of the tier in use (0 = nearest), or `all` when no tier has a usable endpoint. */
  tier: number | 'all';
  /** The clusters of that tier (every source with `all`). */
  clusters: string[];
  /** Why the tiers cannot be carried out here (traffic then goes to every cluster); absent when they are. */
  inactive?: string;
}

export interface LocalityInput {
  namespace: string;
  name: string;
  selectors: readonly ClusterSelector[];
  importer: string;
  /** Every source of the Service's endpoints here, with the slices mcsync builds them from. */
  sources: readonly { cluster: string; slices: readonly EndpointSlice[] }[];
  view: LocalityView;
  /** The source Service's own trafficDistribution: within the tier, same-zone preference holds when it asks for it. */
  trafficDistribution?: string;
  headless: boolean;
  /** The Service's local endpoints belong to the local EndpointSlice controller (conflictPolicy merge). */
  mergedWithLocal?: boolean;
}

export interface LocalityPlan {
  state: LocalityState;
  /** The hint of each endpoint of `cluster`; undefined: the Service's own distribution decides. */
  hintOf?: (cluster: string, ep: Endpoint) => string[];
}

function tierEndpoints(sources: LocalityInput['sources']): TierEndpoint[] {
  return sources.flatMap((s) => s.slices.flatMap((sl) => (sl.endpoints ?? []).map((ep): TierEndpoint => {
    const out: TierEndpoint = { cluster: s.cluster, ready: ep.conditions?.ready !== false, serving: (ep.conditions?.serving ?? ep.conditions?.ready) !== false };
    if (ep.zone) out.zone = ep.zone;
    return out;
  })));
}

export const HEADLESS_INACTIVE = 'the Service is headless: DNS answers have no topology, so tiers cannot apply (KEP-5939 calls this invalid)';
export const MERGED_INACTIVE = 'the Service is merged with a local one (conflictPolicy merge): its local endpoints are hinted by the local EndpointSlice controller, so only the Service\'s own trafficDistribution applies';

export function planLocality(input: LocalityInput): LocalityPlan {
  const { namespace, name, importer, view } = input;
  const sourceClusters = [...new Set(input.sources.map((s) => s.cluster))].sort();
  const base = { cluster: importer, namespace, name };
  const inactive = (why: string): LocalityPlan => ({ state: { ...base, tier: 'all', clusters: sourceClusters, inactive: why } });
  if (input.headless) return inactive(HEADLESS_INACTIVE);
  if (input.mergedWithLocal) return inactive(MERGED_INACTIVE);
  const zones = view.zones(importer);
  const noZones = zones === undefined ? 'the importing cluster\'s Nodes are not read, so their zones are unknown' : localityInactive(zones);
  if (noZones !== undefined) return inactive(noZones);
  const endpoints = tierEndpoints(input.sources);
  const results = selectorResults(input.selectors, view.properties(importer), sourceClusters.map((c) => view.properties(c)));
  const choice = chooseTier(results, endpoints);
  if (choice.tier === 'all') return { state: { ...base, tier: 'all', clusters: sourceClusters } };
  const hint: HintOf = hintPlan(choice, endpoints, zones!, usesZoneHints(input.trafficDistribution))!;
  return {
    state: { ...base, tier: choice.tier, clusters: choice.clusters },
    hintOf: (cluster, ep) => hint({ cluster, zone: ep.zone || undefined }),
  };
}

/** The trafficDistribution a Service with tiers gets: its own when kube-proxy reads hints for it, else PreferClose. */
export function tieredDistribution(own: string | undefined): string {
  return own !== undefined && usesZoneHints(own) ? own : 'PreferClose';
}

/** The properties of a cluster as selection sees them: ClusterProperty objects under the config's, and the id. */
export function clusterPropertiesOf(name: string, configured: Readonly<Record<string, string>> | undefined, objects: Readonly<Record<string, string>> | undefined): ClusterProperties {
  return { id: name, properties: { ...objects, ...configured } };
}

/** No zones known anywhere (a caller that reads no Nodes): every tier is inactive, and says so. */
export const NO_PLACES: LocalityView = { properties: (c) => clusterPropertiesOf(c, undefined, undefined), zones: () => undefined };

/**
 * The places the planners read, from the config and the Nodes' zones as the caller knows them.
 * An inventory cluster's properties are its profile's labels and status.properties; the config's
 * `properties` win over them.
 */
export function fleetPlaces(
  /** The fleet as it stands when a plan asks (a running controller's changes as clusters join and leave). */
  clusters: () => readonly Pick<ClusterConfig, 'name' | 'labels' | 'properties'>[],
  zones: (cluster: string) => readonly string[] | undefined,
  /** The cluster's ClusterProperty objects (name → value), where they were read. */
  objects: (cluster: string) => Readonly<Record<string, string>> | undefined = () => undefined,
): LocalityView {
  return {
    properties: (name) => {
      const c = clusters().find((x) => x.name === name);
      return clusterPropertiesOf(name, { ...c?.labels, ...c?.properties }, objects(name));
    },
    zones,
  };
}

/** Whether any Service may carry locality tiers: an export rule gives them, or (with mcs) a ServiceExport annotation may. */
export function localityWanted(config: Pick<Config, 'mcs' | 'clusters'>): boolean {
  return config.mcs || config.clusters.some((c) => c.exports.some((r) => r.clusterSelectors !== undefined));
}

/** What routing notes judge of a replica whose oldest export has tiers: the source's own distribution, not the PreferClose tiers add. */
export function tieredRouting(exports: readonly Export[]): Pick<RoutingInput, 'tiered'> {
  const winner = byAge(exports)[0];
  return winner?.clusterSelectors ? { tiered: { sourceDistribution: winner.service.spec.trafficDistribution } } : {};
}
