// Every multi-cluster service of the fleet at once, from what one-shot commands read of each
// cluster (the controller plans one key at a time from its caches instead). Pure.
import type { Config } from '../../config/types.ts';
import { cmp } from '../canonical.ts';
import { guardSlices, podRanges } from '../endpoint-guard.ts';
import type { Action } from '../types.ts';
import { isOwned, MCS_IMPORT } from '../../vocab/labels.ts';
import { namespaceOf, serviceKey, serviceKeyOf, serviceKeyOfSlice, splitServiceKey, type ServiceKey } from '../../vocab/keys.ts';
import type { ServiceExport, ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Service } from '../../vocab/objects.ts';
import { mergeConstituents, type Constituent, type McsConflict } from './merge.ts';
import { planMcs, type ImportView, type McsProblem } from './plan.ts';

/** What was read of one cluster for the MCS API. */
export interface McsRead {
  cluster: string;
  exports: ServiceExport[];
  /** Services that are not mcsync's. */
  services: Service[];
  /** Slices that are not replicas. */
  slices: EndpointSlice[];
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
}

export interface McsFleetPlan {
  actions: Action[];
  services: McsServiceState[];
}

const importKey = (o: { metadata: { namespace?: string; labels?: Record<string, string> } }): ServiceKey | undefined => {
  const name = o.metadata.labels?.[MCS_IMPORT];
  return name ? serviceKey(namespaceOf(o.metadata), name) : undefined;
};

export function planMcsFleet(config: Config, unordered: readonly McsRead[], unavailable: ReadonlySet<string>, now: string): McsFleetPlan {
  // Config order, whatever order the reads finished in: the same inputs give the same plan.
  const order = (cluster: string) => config.clusters.findIndex((c) => c.name === cluster);
  const reads = [...unordered].sort((a, b) => order(a.cluster) - order(b.cluster));
  const keys = new Set<ServiceKey>();
  for (const r of reads) {
    for (const e of r.exports) keys.add(serviceKeyOf(e));
    // Another instance's (or implementation's) imports are not ours to plan unless something here exports them.
    for (const i of r.written?.imports ?? []) if (isOwned(i.metadata, config.instance)) keys.add(serviceKeyOf(i));
    for (const d of r.written?.derived ?? []) if (isOwned(d.metadata, config.instance)) keys.add(importKey(d) ?? '');
    for (const s of r.written?.slices ?? []) keys.add(importKey(s) ?? '');
  }
  keys.delete('');
  const out: McsFleetPlan = { actions: [], services: [] };
  for (const key of [...keys].sort(cmp)) {
    const { namespace, name } = splitServiceKey(key);
    const constituents: Constituent[] = [];
    const exports = new Map<string, ServiceExport>();
    for (const c of config.clusters) {
      const r = reads.find((x) => x.cluster === c.name);
      const se = r?.exports.find((e) => serviceKeyOf(e) === key);
      if (!r || !se) continue;
      if (r.written) exports.set(c.name, se);
      const slices = guardSlices(r.slices.filter((s) => serviceKeyOfSlice(s) === key), podRanges(c.podCIDRs)).slices;
      const constituent: Constituent = { cluster: c.name, serviceExport: se, slices };
      const service = r.services.find((s) => serviceKeyOf(s) === key);
      if (service) constituent.service = service;
      constituents.push(constituent);
    }
    const merge = mergeConstituents(namespace, name, constituents);
    const views: ImportView[] = reads.filter((r) => r.written).map((r) => {
      const w = r.written!;
      const view: ImportView = { cluster: r.cluster, hasNamespace: w.namespaces.has(namespace), slices: w.slices.filter((s) => importKey(s) === key) };
      const si = w.imports.find((i) => serviceKeyOf(i) === key);
      if (si) view.serviceImport = si;
      const derived = w.derived.find((d) => importKey(d) === key);
      if (derived) view.derived = derived;
      return view;
    });
    const plan = planMcs(config, { namespace, name, merge, views, exports, unavailable, now });
    out.actions.push(...plan.actions);
    out.services.push({
      namespace,
      name,
      exporters: merge.merged?.constituents.map((c) => c.cluster) ?? [],
      invalid: merge.invalid,
      conflicts: merge.merged?.conflicts ?? [],
      importedIn: views.filter((v) => v.serviceImport).map((v) => v.cluster),
      problems: plan.problems,
    });
  }
  return out;
}
