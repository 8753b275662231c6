// Per exported service: where it comes from, how many endpoints are ready at the source, and
// for each destination whether the replica matches (the plan has nothing to do for it), has
// drifted, is missing, or is blocked by a conflict.
import { SERVICE_NAME } from './labels.ts';
import type { Action, DestinationSnapshot, Export, Plan } from './types.ts';

export type ReplicaState = 'in-sync' | 'drift' | 'missing' | 'conflict' | 'unreachable';

export interface StatusRow {
  namespace: string;
  name: string;
  sources: string[];
  endpoints: { ready: number; total: number };
  destinations: { cluster: string; state: ReplicaState; detail?: string }[];
}

/** cluster|namespace/sliceName → the Service a destination's owned slice belongs to. */
function sliceOwners(destinations: DestinationSnapshot[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const d of destinations) {
    for (const s of d.ownedSlices) {
      const svc = s.metadata.labels?.[SERVICE_NAME];
      if (svc) owners.set(`${d.cluster}|${s.metadata.namespace}/${s.metadata.name}`, svc);
    }
  }
  return owners;
}

function actionKey(a: Action, sliceOwner: Map<string, string>): string | undefined {
  if (a.verb === 'delete') {
    if (a.ref.kind === 'Service') return `${a.ref.namespace}/${a.ref.name}`;
    if (a.ref.kind === 'EndpointSlice') {
      const svc = sliceOwner.get(`${a.cluster}|${a.ref.namespace}/${a.ref.name}`);
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
  const byKey = Map.groupBy(exports, (e) => `${e.service.metadata.namespace}/${e.service.metadata.name}`);
  const owners = sliceOwners(destinations);
  const actions = Map.groupBy(plan.actions, (a) => {
    const key = actionKey(a, owners);
    return key ? `${a.cluster}|${key}` : '';
  });
  const conflicts = Map.groupBy(plan.conflicts, (c) => `${c.cluster}|${c.namespace}/${c.name}`);
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
