// How a source cluster's last-known state is presented to the planner once mcsync has lost
// its watch on that cluster for longer than staleAfter. Before that, and under the default
// policy `keep`, the last-known state stands: an unreachable cluster is not a deleted one.
import type { StalePolicy } from '../config/types.ts';
import type { SourceSnapshot } from './types.ts';

export function isStale(unhealthySince: number | undefined, staleAfterMs: number, now: number): boolean {
  return unhealthySince !== undefined && now - unhealthySince >= staleAfterMs;
}

export function staleView(snapshot: SourceSnapshot, policy: StalePolicy, stale: boolean): SourceSnapshot {
  if (!stale || policy === 'keep') return snapshot;
  if (policy === 'withdraw') return { cluster: snapshot.cluster, services: [], slices: new Map() };
  const slices = new Map(
    [...snapshot.slices].map(([key, list]) => [
      key,
      list.map((s) => ({ ...s, endpoints: (s.endpoints ?? []).map((e) => ({ ...e, conditions: { ...e.conditions, ready: false } })) })),
    ]),
  );
  return { ...snapshot, slices };
}
