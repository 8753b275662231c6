// Per exported service: where it comes from, how many endpoints are ready at the source, and
// for each destination whether the replica matches (the plan has nothing to do for it), has
// drifted, is missing, or is blocked by a conflict.
import { SERVICE_NAME } from './labels.ts';
import type { Action, Conflict, DestinationSnapshot, Export, Plan } from './types.ts';

export type ReplicaState = 'in-sync' | 'drift' | 'missing' | 'conflict' | 'unreachable';

export interface StatusRow {
  namespace: string;
  name: string;
  sources: string[];
  endpoints: { ready: number; total: number };
  destinations: { cluster: string; state: ReplicaState; detail?: string }[];
}

function actionKey(a: Action, destinations: Map<string, DestinationSnapshot>): string | undefined {
  if (a.verb === 'delete') {
    if (a.ref.kind === 'Service') return `${a.ref.namespace}/${a.ref.name}`;
    if (a.ref.kind === 'EndpointSlice') {
      const slice = destinations.get(a.cluster)?.ownedSlices.find((s) => s.metadata.namespace === a.ref.namespace && s.metadata.name === a.ref.name);
      const svc = slice?.metadata.labels?.[SERVICE_NAME];
      return svc ? `${a.ref.namespace}/${svc}` : undefined;
    }
    return undefined;
  }
  if (a.kind === 'Namespace') return undefined;
  const m = a.object.metadata;
  if (a.kind === 'Service') return `${m.namespace}/${m.name}`;
  return `${m.namespace}/${m.labels?.[SERVICE_NAME]}`;
}

export function endpointCounts(exports: Export[]): { ready: number; total: number } {
  const seen = new Map<string, boolean>();
  for (const e of exports) {
    for (const s of e.slices) {
      for (const ep of s.endpoints ?? []) {
        const id = `${e.sourceCluster}/${ep.addresses[0]}`;
        seen.set(id, (seen.get(id) ?? false) || ep.conditions?.ready !== false);
      }
    }
  }
  return { ready: [...seen.values()].filter(Boolean).length, total: seen.size };
}

export function computeStatus(exports: Export[], plan: Plan, destinations: DestinationSnapshot[], unreachable: Set<string> = new Set()): StatusRow[] {
  const byKey = new Map<string, Export[]>();
  for (const e of exports) {
    const key = `${e.service.metadata.namespace}/${e.service.metadata.name}`;
    byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  const dests = new Map(destinations.map((d) => [d.cluster, d]));
  const actions = new Map<string, Action[]>();
  for (const a of plan.actions) {
    const key = actionKey(a, dests);
    if (key) actions.set(`${a.cluster}|${key}`, [...(actions.get(`${a.cluster}|${key}`) ?? []), a]);
  }
  const conflicts = new Map<string, Conflict[]>();
  for (const c of plan.conflicts) {
    const k = `${c.cluster}|${c.namespace}/${c.name}`;
    conflicts.set(k, [...(conflicts.get(k) ?? []), c]);
  }
  const rows: StatusRow[] = [];
  for (const [key, exs] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    const [namespace, name] = key.split('/') as [string, string];
    const sources = [...new Set(exs.map((e) => e.sourceCluster))].sort();
    const targets = [...new Set(exs.flatMap((e) => e.destinations))].filter((d) => !sources.includes(d) || exs.some((e) => e.sourceCluster !== d && e.destinations.includes(d))).sort();
    const destinationsOut = targets.map((cluster) => {
      if (unreachable.has(cluster)) return { cluster, state: 'unreachable' as const };
      const blocking = (conflicts.get(`${cluster}|${key}`) ?? []).find((c) => c.kind === 'not-owned' || c.kind === 'missing-namespace');
      if (blocking) return { cluster, state: 'conflict' as const, detail: blocking.message };
      const todo = actions.get(`${cluster}|${key}`) ?? [];
      if (todo.length === 0) {
        const other = conflicts.get(`${cluster}|${key}`)?.[0];
        return other ? { cluster, state: 'in-sync' as const, detail: other.message } : { cluster, state: 'in-sync' as const };
      }
      const missing = todo.some((a) => a.verb === 'create' && a.kind === 'Service');
      return { cluster, state: missing ? ('missing' as const) : ('drift' as const), detail: `${todo.length} change(s) pending` };
    });
    rows.push({ namespace, name, sources, endpoints: endpointCounts(exs), destinations: destinationsOut });
  }
  return rows;
}
