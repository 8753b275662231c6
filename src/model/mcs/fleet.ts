// Every multi-cluster service of the fleet at once, from what one-shot commands read of each
// cluster (the controller plans one key at a time from its caches instead). Pure.
import type { Config } from '../../config/types.ts';
import { cmp } from '../canonical.ts';
import type { Action } from '../types.ts';
import { isOwned, MCS_IMPORT } from '../../vocab/labels.ts';
import { namespaceOf, serviceKey, serviceKeyOf, serviceKeyOfSlice, splitServiceKey, type ServiceKey } from '../../vocab/keys.ts';
import type { ServiceExport, ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Service } from '../../vocab/objects.ts';
import { constituentOf, mergeConstituents, type Constituent, type McsConflict } from './merge.ts';
import { planMcs, type ImportView, type McsProblem } from './plan.ts';
import { renderDerivedService } from './render.ts';
import { routingNotes, type RoutingNote } from '../routing.ts';
import type { LocalityState, LocalityView } from '../locality/plan.ts';

/** What was read of one cluster for the MCS API. */
export interface McsRead {
  cluster: string;
  exports: ServiceExport[];
  /** Services that are not mcsync's. */
  services: Service[];
  /** Slices that are not replicas. */
  slices: EndpointSlice[];
  /** The pod CIDRs its Nodes declare, read only when the config names none; the config's podCIDRs win. */
  podCidrs?: string[];
  /** Only for clusters mcsync writes to. */
  written?: {
    namespaces: Set<string>;
    imports: ServiceImport[];
    derived: Service[];
    slices: EndpointSlice[];
  };
}

/** One multi-cluster service as the plan saw it. */
export interface McsServiceState {
  namespace: string;
  name: string;
  exporters: string[];
  invalid: { cluster: string; reason: string; message: string }[];
  conflicts: McsConflict[];
  /** Clusters written to that hold its ServiceImport now. */
  importedIn: string[];
  problems: McsProblem[];
  /** Where routing through the derived Service cannot do what the exports ask (routing.ts), by cluster. */
  notes?: ({ cluster: string } & RoutingNote)[];
}

export interface McsFleetPlan {
  actions: Action[];
  services: McsServiceState[];
  /** The locality tier each cluster written to uses, per import with tiers. */
  locality: LocalityState[];
}

const importKey = (o: { metadata: { namespace?: string; labels?: Record<string, string> } }): ServiceKey | undefined => {
  const name = o.metadata.labels?.[MCS_IMPORT];
  return name ? serviceKey(namespaceOf(o.metadata), name) : undefined;
};

export function planMcsFleet(config: Config, unordered: readonly McsRead[], unavailable: ReadonlySet<string>, now: string, locality?: LocalityView): McsFleetPlan {
  // Config order, whatever order the reads finished in: the same inputs give the same plan.
  const order = (cluster: string) => config.clusters.findIndex((c) => c.name === cluster);
  const reads = [...unordered].sort((a, b) => order(a.cluster) - order(b.cluster));
  // Every read indexed once by service key: the plan below looks each key up, never scans.
  const indexed = new Map(reads.map((r) => [r.cluster, indexRead(r)]));
  const keys = new Set<ServiceKey>();
  for (const r of reads) {
    const ix = indexed.get(r.cluster)!;
    for (const k of ix.exports.keys()) keys.add(k);
    // Another instance's (or implementation's) imports are not ours to plan unless something here exports them.
    for (const [k, i] of ix.imports) if (isOwned(i.metadata, config.instance)) keys.add(k);
    for (const [k, d] of ix.derived) if (isOwned(d.metadata, config.instance)) keys.add(k);
    for (const k of ix.importSlices.keys()) keys.add(k);
  }
  const out: McsFleetPlan = { actions: [], services: [], locality: [] };
  for (const key of [...keys].sort(cmp)) {
    const { namespace, name } = splitServiceKey(key);
    const constituents: Constituent[] = [];
    const exports = new Map<string, ServiceExport>();
    for (const c of config.clusters) {
      const r = reads.find((x) => x.cluster === c.name);
      const ix = indexed.get(c.name);
      const se = ix?.exports.get(key);
      if (!r || !ix || !se) continue;
      if (r.written) exports.set(c.name, se);
      constituents.push(constituentOf(c, se, ix.services.get(key), ix.slices.get(key) ?? [], r.podCidrs).constituent);
    }
    const merge = mergeConstituents(namespace, name, constituents);
    const views: ImportView[] = reads.filter((r) => r.written).map((r) => {
      const ix = indexed.get(r.cluster)!;
      const view: ImportView = { cluster: r.cluster, hasNamespace: r.written!.namespaces.has(namespace), slices: ix.importSlices.get(key) ?? [] };
      const si = ix.imports.get(key);
      if (si) view.serviceImport = si;
      const derived = ix.derived.get(key);
      if (derived) view.derived = derived;
      return view;
    });
    const plan = planMcs(config, { namespace, name, merge, views, exports, unavailable, now, ...(locality ? { locality } : {}) });
    out.actions.push(...plan.actions);
    out.locality.push(...plan.locality);
    out.services.push({
      namespace,
      name,
      exporters: merge.merged?.constituents.map((c) => c.cluster) ?? [],
      invalid: merge.invalid,
      conflicts: merge.merged?.conflicts ?? [],
      importedIn: views.filter((v) => v.serviceImport).map((v) => v.cluster),
      problems: plan.problems,
    });
    if (merge.merged) {
      const wanted = renderDerivedService(config, merge.merged);
      const sources = merge.merged.constituents.map((c) => ({ cluster: c.cluster, slices: c.slices }));
      const notes = views.flatMap((v) => (v.derived ? routingNotes({ wanted, live: v.derived, sources }).map((n) => ({ cluster: v.cluster, ...n })) : []));
      if (notes.length > 0) out.services.at(-1)!.notes = notes;
    }
  }
  return out;
}

interface ReadIndex {
  exports: Map<ServiceKey, ServiceExport>;
  services: Map<ServiceKey, Service>;
  slices: Map<ServiceKey, EndpointSlice[]>;
  imports: Map<ServiceKey, ServiceImport>;
  derived: Map<ServiceKey, Service>;
  importSlices: Map<ServiceKey, EndpointSlice[]>;
}

function indexRead(r: McsRead): ReadIndex {
  const first = <T>(xs: readonly T[], key: (x: T) => ServiceKey | undefined) => {
    const m = new Map<ServiceKey, T>();
    for (const x of xs) {
      const k = key(x);
      if (k !== undefined && !m.has(k)) m.set(k, x);
    }
    return m;
  };
  const all = <T>(xs: readonly T[], key: (x: T) => ServiceKey | undefined) => {
    const m = new Map<ServiceKey, T[]>();
    for (const x of xs) {
      const k = key(x);
      if (k !== undefined) m.set(k, [...(m.get(k) ?? []), x]);
    }
    return m;
  };
  return {
    exports: first(r.exports, serviceKeyOf),
    services: first(r.services, serviceKeyOf),
    slices: all(r.slices, serviceKeyOfSlice),
    imports: first(r.written?.imports ?? [], serviceKeyOf),
    derived: first(r.written?.derived ?? [], importKey),
    importSlices: all(r.written?.slices ?? [], importKey),
  };
}
