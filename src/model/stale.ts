// How a cluster's last-known state is presented to the planners once mcsync has lost its watch
// on that cluster for longer than staleAfter. Before that, and under the default policy
// `keep`, the last-known state stands: an unreachable cluster is not a deleted one.
//
// The one stale rule, decided here for every capability (docs/operating.md has the table):
//
// | stalePolicy | replicas                   | imports (mcs)              | policies (companions)      |
// |-------------|----------------------------|----------------------------|----------------------------|
// | keep        | endpoints stay as last seen | endpoints stay as last seen | ipBlocks stay as last seen |
// | withdraw    | its endpoints are removed  | it is no constituent: its endpoints are removed, and an import only it exported goes | its ipBlocks are removed |
// | not-ready   | its endpoints stay, marked not ready | its endpoints stay, marked not ready | ipBlocks stay (a policy has no readiness) |
// | last-resort | its ready endpoints stay as serving and terminating: used only while no endpoint is ready anywhere | the same | ipBlocks stay |
import type { StalePolicy } from '../config/types.ts';
import type { EndpointSlice, Service } from '../vocab/objects.ts';
import { serviceKeyOf, type ServiceKey } from '../vocab/keys.ts';
import { STALE_POLICY } from '../vocab/labels.ts';
import type { SourceSnapshot } from './types.ts';

export type StaleCapability = 'replicas' | 'imports' | 'policies';

/** What a stale cluster's cached view becomes for one capability. */
export type StaleEffect = 'keep' | 'withdraw' | 'not-ready' | 'last-resort';

export function staleEffect(capability: StaleCapability, policy: StalePolicy): StaleEffect {
  // Readiness is an endpoint's; a NetworkPolicy's peers have none, so not-ready and last-resort keep them.
  if (capability === 'policies' && (policy === 'not-ready' || policy === 'last-resort')) return 'keep';
  return policy;
}

export function isStale(unhealthySince: number | undefined, staleAfterMs: number, now: number): boolean {
  return unhealthySince !== undefined && now - unhealthySince >= staleAfterMs;
}

/** Every endpoint of the slices, not ready: kube-proxy stops sending new connections to them. */
export function notReady(slices: readonly EndpointSlice[]): EndpointSlice[] {
  return slices.map((s) => ({ ...s, endpoints: (s.endpoints ?? []).map((e) => ({ ...e, conditions: { ...e.conditions, ready: false } })) }));
}

/**
 * A stale cluster's endpoints as a last resort: each ready one becomes serving and terminating,
 * not ready. kube-proxy (pkg/proxy/topology.go) routes to ready endpoints when there are any, and
 * falls back to serving-and-terminating ones only when none is ready: traffic stays off the stale
 * cluster while any other is healthy, and goes there rather than nowhere when none is. An
 * endpoint that was not ready or not serving stays as it was.
 */
export function lastResort(slices: readonly EndpointSlice[]): EndpointSlice[] {
  return slices.map((s) => ({
    ...s,
    endpoints: (s.endpoints ?? []).map((e) => (e.conditions?.ready === false || e.conditions?.serving === false ? e : { ...e, conditions: { ...e.conditions, ready: false, serving: true, terminating: true } })),
  }));
}

/** The slices of a stale cluster under one effect (withdraw is the caller's: it drops the cluster). */
export function staleSlices(slices: readonly EndpointSlice[], effect: Exclude<StaleEffect, 'withdraw'>): readonly EndpointSlice[] {
  if (effect === 'not-ready') return notReady(slices);
  if (effect === 'last-resort') return lastResort(slices);
  return slices;
}

/** A Service's stale policy: one for the whole cluster, or per Service (an export rule may set its own). */
export type PolicyOf = StalePolicy | ((svc: Service | undefined) => StalePolicy);

/** A replica source's snapshot as the stale rule presents it, each Service under its own policy. */
export function staleView(snapshot: SourceSnapshot, policy: PolicyOf, stale: boolean): SourceSnapshot {
  if (!stale) return snapshot;
  const effectOf = (svc: Service | undefined) => staleEffect('replicas', typeof policy === 'string' ? policy : policy(svc));
  if (typeof policy === 'string') {
    const effect = effectOf(undefined);
    if (effect === 'keep') return snapshot;
    if (effect === 'withdraw') return { cluster: snapshot.cluster, services: [], slices: new Map() };
  }
  const byKey = new Map(snapshot.services.map((s) => [serviceKeyOf(s), s]));
  const slices = new Map<string, EndpointSlice[]>();
  for (const [key, list] of snapshot.slices) {
    const effect = effectOf(byKey.get(key as ServiceKey));
    if (effect !== 'withdraw') slices.set(key, effect === 'keep' ? list : [...staleSlices(list, effect)]);
  }
  return { ...snapshot, services: snapshot.services.filter((s) => effectOf(s) !== 'withdraw'), slices };
}

const POLICIES: readonly StalePolicy[] = ['keep', 'not-ready', 'last-resort', 'withdraw'];

/**
 * A ServiceExport's own stale policy (its mcsync.io/stale-policy annotation), over its cluster's;
 * a value that is none of the four is reported and the cluster's applies.
 */
export function exportStalePolicy(meta: { annotations?: Record<string, string> }): { policy?: StalePolicy; error?: string } {
  const text = meta.annotations?.[STALE_POLICY];
  if (text === undefined) return {};
  const policy = POLICIES.find((p) => p === text.trim());
  return policy ? { policy } : { error: `annotation ${STALE_POLICY}: "${text}" is not one of ${POLICIES.join(', ')}; the cluster's stalePolicy applies` };
}
