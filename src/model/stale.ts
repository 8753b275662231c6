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
import type { EndpointSlice } from '../vocab/objects.ts';
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

/** A replica source's snapshot as the stale rule presents it. */
export function staleView(snapshot: SourceSnapshot, policy: StalePolicy, stale: boolean): SourceSnapshot {
  const effect = stale ? staleEffect('replicas', policy) : 'keep';
  if (effect === 'keep') return snapshot;
  if (effect === 'withdraw') return { cluster: snapshot.cluster, services: [], slices: new Map() };
  return { ...snapshot, slices: new Map([...snapshot.slices].map(([key, list]) => [key, [...staleSlices(list, effect)]])) };
}
