// What a destination's kube-proxy needs of a replica (or derived) Service and its slices to
// route as the source asked: the IP families, the internal traffic policy, the traffic
// distribution, and the zone hints that make a distribution work. Pure. docs/topology.md
// explains the rules; they are here so replicas and derived Services follow the same ones.
import type { Endpoint, EndpointSlice, Service } from '../vocab/objects.ts';

/** The distributions kube-proxy serves from hints: for each, the EndpointSlice controller hints every ready zoned endpoint with its own zone. */
const HINTED_DISTRIBUTIONS = new Set(['PreferClose', 'PreferSameZone', 'PreferSameNode']);

/** The API's bound on forZones per endpoint (k8s.io/kubernetes pkg/apis/discovery/validation, maxZoneHints). */
export const MAX_ZONE_HINTS = 8;

export function usesZoneHints(trafficDistribution: string | undefined): boolean {
  return trafficDistribution !== undefined && HINTED_DISTRIBUTIONS.has(trafficDistribution);
}

/**
 * Whether a source Service needs both families where a destination has them: it asks for dual
 * stack, or it has an IPv6 family (a single-stack IPv6 source in an IPv4-first destination).
 */
export function wantsDualStack(svc: Service): boolean {
  const policy = svc.spec.ipFamilyPolicy;
  return policy === 'PreferDualStack' || policy === 'RequireDualStack' || (svc.spec.ipFamilies ?? []).includes('IPv6');
}

/**
 * The routing fields a replica or derived Service carries from the source `svc` (not for
 * ExternalName, which kube-proxy does not route). ipFamilyPolicy is PreferDualStack and never
 * RequireDualStack nor a list of ipFamilies: the apiserver rejects those where a family is not
 * configured, while PreferDualStack takes every family the destination has, whichever it is.
 * A headless Service has no ClusterIP, and a selectorless one gets every family anyway.
 * externalIPs are never carried: they would make every destination node answer for them.
 */
export function routingSpec(svc: Service, headless: boolean): Pick<Service['spec'], 'ipFamilyPolicy' | 'internalTrafficPolicy' | 'trafficDistribution'> {
  const out: Pick<Service['spec'], 'ipFamilyPolicy' | 'internalTrafficPolicy' | 'trafficDistribution'> = {};
  if (!headless && wantsDualStack(svc)) out.ipFamilyPolicy = 'PreferDualStack';
  if (svc.spec.internalTrafficPolicy !== undefined) out.internalTrafficPolicy = svc.spec.internalTrafficPolicy;
  if (svc.spec.trafficDistribution !== undefined) out.trafficDistribution = svc.spec.trafficDistribution;
  return out;
}

/**
 * The endpoint as mcsync writes it for a Service whose distribution uses hints: a zoned
 * endpoint is for its own zone, as the EndpointSlice controller's trafficdist hints it. Node
 * hints are never written: they would name the source's nodes, which no destination node is
 * (or worse, one that shares a name). An endpoint without a zone gets no hint, and kube-proxy,
 * seeing a ready endpoint without one, serves every endpoint: zone-blind, never black-holed.
 * Hints are a function of the endpoint alone, so one endpoint's change rewrites one slice.
 */
export function withZoneHint(ep: Endpoint): Endpoint {
  if (ep.zone === undefined || ep.zone === '') return ep;
  return { ...ep, hints: { forZones: [{ name: ep.zone }] } };
}

/** The address families a Service's slices serve traffic on: those with at least one endpoint. */
export function endpointFamilies(slices: readonly EndpointSlice[]): Set<'IPv4' | 'IPv6'> {
  const out = new Set<'IPv4' | 'IPv6'>();
  for (const s of slices) if (s.addressType !== 'FQDN' && (s.endpoints?.length ?? 0) > 0) out.add(s.addressType);
  return out;
}

/** What routing through a live replica (or derived Service) cannot do as the source asked. */
export interface RoutingNote {
  kind: 'family-missing' | 'zoneless-endpoints' | 'local-policy';
  message: string;
}

export interface RoutingInput {
  /** The Service mcsync rendered (what it asks for). */
  wanted: Service;
  /** The Service as the destination holds it, when it has been read back. */
  live: Service | undefined;
  /** Every source slice the replica's slices are made from, with the cluster it came from. */
  sources: readonly { cluster: string; slices: readonly EndpointSlice[] }[];
  /**
   * The Service has locality tiers: its PreferClose is there for the tiers' hints, which every
   * endpoint gets whatever its zone; only a distribution the source itself asks for is judged.
   */
  tiered?: { sourceDistribution?: string | undefined };
}

/**
 * Why routing in the destination falls short of the source's Service: an endpoint family the
 * destination gave the Service no address of (IPv6 endpoints into an IPv4-only cluster);
 * a distribution that kube-proxy ignores because a ready endpoint has no zone; an internal
 * traffic policy of Local, which no node of another cluster can satisfy.
 */
export function routingNotes(input: RoutingInput): RoutingNote[] {
  const { wanted, live, sources } = input;
  const notes: RoutingNote[] = [];
  if (wanted.spec.type === 'ExternalName') return notes;
  const headless = wanted.spec.clusterIP === 'None';
  const liveFamilies = live?.spec.ipFamilies ?? [];
  if (!headless && liveFamilies.length > 0) {
    const served = endpointFamilies(sources.flatMap((s) => s.slices));
    const missing = [...served].filter((f) => !liveFamilies.includes(f)).sort();
    if (missing.length > 0) {
      notes.push({
        kind: 'family-missing',
        message: `${missing.join(' and ')} endpoints are not reachable through the ClusterIP here: this cluster gave the Service ${liveFamilies.join(' and ')} only (no ${missing.join('/')} service range)`,
      });
    }
  }
  // kube-proxy does not proxy a headless Service: its distribution and policy change nothing.
  if (headless) return notes;
  const distribution = input.tiered ? input.tiered.sourceDistribution : wanted.spec.trafficDistribution;
  if (usesZoneHints(distribution)) {
    const zoneless = sources.flatMap((s) =>
      s.slices.flatMap((sl) => (sl.endpoints ?? []).filter((ep) => ep.conditions?.ready !== false && !ep.zone).map(() => s.cluster)));
    if (zoneless.length > 0) {
      const where = [...new Set(zoneless)].sort().join(', ');
      notes.push({
        kind: 'zoneless-endpoints',
        message: `trafficDistribution ${distribution} has no effect here: ${zoneless.length} ready endpoint(s) from ${where} have no zone, so kube-proxy ignores the zone hints and uses every endpoint`,
      });
    }
  }
  if (wanted.spec.internalTrafficPolicy === 'Local') {
    notes.push({
      kind: 'local-policy',
      message: 'internalTrafficPolicy Local: no endpoint runs on a node of this cluster, so kube-proxy here drops the Service\'s traffic',
    });
  }
  return notes;
}
