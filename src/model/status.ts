// Per exported service: where it comes from, how many endpoints are ready at the source, and
// for each destination whether the replica matches (the plan has nothing to do for it), has
// drifted, is missing, or is blocked by a conflict; and, for a replica in sync, what routing
// through it cannot do as the source asked (routing.ts).
import { tieredRouting } from './locality/plan.ts';
import { serviceKey, serviceKeyOf, splitServiceKey } from '../vocab/keys.ts';
import { cmp } from './canonical.ts';
import { sourcesOf } from './replica-service.ts';
import { routingNotes } from './routing.ts';
import type { DestinationSnapshot, Export, Plan } from './types.ts';

export type ReplicaState = 'in-sync' | 'drift' | 'missing' | 'conflict' | 'unavailable';

export interface StatusRow {
  namespace: string;
  name: string;
  sources: string[];
  endpoints: { ready: number; total: number };
  destinations: { cluster: string; state: ReplicaState; detail?: string; notes?: string[] }[];
}

/** Endpoints of these exports, each address of each source counted once; ready unless a slice says not. */
export function endpointCounts(exports: readonly Export[]): { ready: number; total: number } {
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

export interface StatusInput {
  exports: readonly Export[];
  plan: Plan;
  /** What was read from each available destination: replicas there name their sources. */
  destinations: readonly DestinationSnapshot[];
  /** Configured clusters that could not be read; see model/availability.ts. */
  unavailable: ReadonlySet<string>;
}

/**
 * One row per Service key that is exported now or whose replicas name an unavailable source.
 * A replica of an unavailable source is not judged: the planner leaves it as last written, and
 * the row says why instead of reporting it as drift or dropping it.
 */
export function computeStatus(input: StatusInput): StatusRow[] {
  const { exports, plan, destinations, unavailable } = input;
  const byKey = Map.groupBy(exports, (e) => serviceKeyOf(e.service));
  const actions = Map.groupBy(plan.actions, (a) => `${a.cluster}|${a.key}`);
  const conflicts = Map.groupBy(plan.conflicts, (c) => `${c.cluster}|${serviceKey(c.namespace, c.name)}`);
  const live = new Map(destinations.flatMap((d) => d.services.map((s) => [`${d.cluster}|${serviceKeyOf(s)}`, s] as const)));
  /** key → destination → the unavailable sources its replica names. */
  const kept = new Map<string, Map<string, string[]>>();
  for (const d of destinations) {
    for (const svc of d.services) {
      const missing = sourcesOf(svc).filter((s) => unavailable.has(s));
      if (missing.length === 0) continue;
      const key = serviceKeyOf(svc);
      const perDestination = kept.get(key) ?? new Map<string, string[]>();
      perDestination.set(d.cluster, missing);
      kept.set(key, perDestination);
    }
  }
  const rows: StatusRow[] = [];
  for (const key of [...new Set([...byKey.keys(), ...kept.keys()])].sort(cmp)) {
    const exs = byKey.get(key) ?? [];
    const keptHere = kept.get(key) ?? new Map<string, string[]>();
    const { namespace, name } = splitServiceKey(key);
    const unavailableSources = [...keptHere.values()].flat();
    const sources = [...new Set([...exs.map((e) => e.sourceCluster), ...unavailableSources])].sort(cmp);
    const exportedTo = exs.flatMap((e) => e.destinations).filter((d) => exs.some((e) => e.sourceCluster !== d && e.destinations.includes(d)));
    const targets = [...new Set([...exportedTo, ...keptHere.keys()])].sort(cmp);
    const destinationsOut = targets.map((cluster): StatusRow['destinations'][number] => {
      if (unavailable.has(cluster)) return { cluster, state: 'unavailable', detail: 'cannot be read' };
      const blocking = (conflicts.get(`${cluster}|${key}`) ?? []).find((c) => c.kind === 'not-owned' || c.kind === 'missing-namespace');
      if (blocking) return { cluster, state: 'conflict', detail: blocking.message };
      const todo = actions.get(`${cluster}|${key}`) ?? [];
      const from = keptHere.get(cluster);
      if (from && todo.length === 0) {
        return { cluster, state: 'unavailable', detail: `source ${from.join(', ')} unavailable: its endpoints are kept as last written` };
      }
      if (todo.length === 0) {
        const other = conflicts.get(`${cluster}|${key}`)?.[0];
        // In sync, the live replica holds what mcsync wants of it: it stands for the render. A
        // user's Service that replicas merge into is not judged: its own endpoints may be local.
        const svc = live.get(`${cluster}|${key}`);
        const replica = svc !== undefined && sourcesOf(svc).length > 0;
        const here = exs.filter((e) => e.sourceCluster !== cluster && e.destinations.includes(cluster));
        const notes = replica ? routingNotes({ wanted: svc, live: svc, sources: here.map((e) => ({ cluster: e.sourceCluster, slices: e.slices })), ...tieredRouting(here) }).map((n) => n.message) : [];
        const detail = [...(other ? [other.message] : []), ...notes].join('; ');
        return { cluster, state: 'in-sync', ...(detail ? { detail } : {}), ...(notes.length > 0 ? { notes } : {}) };
      }
      const missing = todo.some((a) => a.verb === 'create' && a.ref.kind === 'Service');
      return { cluster, state: missing ? 'missing' : 'drift', detail: `${todo.length} change(s) pending` };
    });
    rows.push({ namespace, name, sources, endpoints: endpointCounts(exs), destinations: destinationsOut });
  }
  return rows;
}
