// The writes that converge one multi-cluster service: in every cluster mcsync writes to, its
// ServiceImport, derived Service and slices; on every constituent export it can reach, the
// conditions. An unavailable cluster is not a withdrawn one: an import it took part in is left
// as it is, and its slices stay. Pure.
import type { Config } from '../../config/types.ts';
import { cmp } from '../canonical.ts';
import { clusterOfId, sourceOfSlice } from '../cluster-id.ts';
import { exportStalePolicy } from '../stale.ts';
import { createAction, deleteAction, statusAction, updateAction } from '../actions.ts';
import { overlayService, sliceProjection } from '../projection.ts';
import type { Action } from '../types.ts';
import { isOwned, MCS_IMPORT, MCS_SOURCE_CLUSTER } from '../../vocab/labels.ts';
import { serviceKey } from '../../vocab/keys.ts';
import type { ServiceExport, ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Service } from '../../vocab/objects.ts';
import { desiredConditions, nextConditions } from './conditions.ts';
import type { Merge } from './merge.ts';
import { conditionsProjection, derivedServiceProjection, serviceImportProjection, serviceImportStatusProjection } from './projection.ts';
import { NO_PLACES, planLocality, type LocalityState, type LocalityView } from '../locality/plan.ts';
import { derivedServiceName, renderDerivedService, renderImportSlices, renderServiceImport } from './render.ts';

/** What one cluster mcsync writes to holds under the service's names. */
export interface ImportView {
  cluster: string;
  hasNamespace: boolean;
  /** The ServiceImport of the service's name, owned or not. */
  serviceImport?: ServiceImport;
  /** The Service of the derived name, owned or not. */
  derived?: Service;
  /** This instance's slices of the import (labelled with its name). */
  slices: EndpointSlice[];
}

export interface McsPlanInput {
  namespace: string;
  name: string;
  merge: Merge;
  views: readonly ImportView[];
  /** Every ServiceExport of the name in a cluster whose exports mcsync reports on (by cluster). */
  exports: ReadonlyMap<string, ServiceExport>;
  /** Clusters that could not be read: what they exported is unknown, not gone. */
  unavailable: ReadonlySet<string>;
  now: string;
  maxEndpointsPerSlice?: number;
  /** The fleet's places, for an import with locality tiers; without it its tiers are inactive. */
  locality?: LocalityView;
}

/** Why part of a service cannot be written in a cluster. */
export interface McsProblem {
  cluster: string;
  namespace: string;
  name: string;
  message: string;
}

export interface McsPlan {
  actions: Action[];
  problems: McsProblem[];
  /** The locality tier each cluster written to uses, when the import has tiers. */
  locality: LocalityState[];
}

const terminating = (o: { metadata: { deletionTimestamp?: string } } | undefined) => o?.metadata.deletionTimestamp !== undefined;
/** The cluster (by name) a slice of ours was copied from: its source-cluster label holds the cluster's id. */
const sourceOf = (config: Config, s: EndpointSlice) => sourceOfSlice(config, s);

/** An import some unavailable cluster took part in: its definition stays until that cluster is read again. */
function frozen(config: Config, view: ImportView, unavailable: ReadonlySet<string>): boolean {
  if (unavailable.size === 0) return false;
  if (view.serviceImport?.status?.clusters?.some((c) => unavailable.has(clusterOfId(config, c.cluster)))) return true;
  return view.slices.some((s) => unavailable.has(sourceOf(config, s) ?? ''));
}

/**
 * Clusters that took part in the import and are no cluster of the fleet, when the inventory keeps
 * what a removed cluster sourced (inventory.onRemove: keep): treated as unavailable, so their
 * part stays as it is, as for replicas (model/plan.ts removedSources).
 */
export function removedExporters(config: Config, views: readonly ImportView[]): Set<string> {
  const out = new Set<string>();
  if (config.inventory?.onRemove !== 'keep') return out;
  const known = new Set(config.clusters.map((c) => c.name));
  const unknown = (c: string | undefined) => c !== undefined && !known.has(c);
  for (const v of views) {
    for (const s of v.slices) {
      if (isOwned(s.metadata, config.instance) && unknown(sourceOf(config, s))) out.add(sourceOf(config, s)!);
    }
    if (!v.serviceImport || !isOwned(v.serviceImport.metadata, config.instance)) continue;
    for (const c of v.serviceImport.status?.clusters ?? []) if (unknown(clusterOfId(config, c.cluster))) out.add(clusterOfId(config, c.cluster));
  }
  return out;
}

export function planMcs(config: Config, given: McsPlanInput): McsPlan {
  const out: McsPlan = { actions: [], problems: [], locality: [] };
  const removed = removedExporters(config, given.views);
  const input = removed.size === 0 ? given : { ...given, unavailable: new Set([...given.unavailable, ...removed]) };
  const tiers = input.merge.merged?.tiers;
  if (tiers && 'error' in tiers) {
    out.problems.push({ cluster: input.merge.merged!.constituents[0]!.cluster, namespace: input.namespace, name: input.name, message: `InvalidClusterSelector: ${tiers.error}; traffic goes to every cluster` });
  }
  for (const [cluster, se] of [...input.exports].sort(([a], [b]) => cmp(a, b))) {
    const bad = exportStalePolicy(se.metadata).error;
    if (bad) out.problems.push({ cluster, namespace: input.namespace, name: input.name, message: bad });
  }
  for (const view of [...input.views].sort((a, b) => cmp(a.cluster, b.cluster))) planView(config, input, view, out);
  planExportStatus(input, out);
  return out;
}

function planView(config: Config, input: McsPlanInput, view: ImportView, out: McsPlan): void {
  const { namespace, name, unavailable } = input;
  const key = serviceKey(namespace, name);
  const { cluster } = view;
  const mine = (o: { metadata: { labels?: Record<string, string> } } | undefined) => o !== undefined && isOwned(o.metadata, config.instance) && o.metadata.labels?.[MCS_IMPORT] === name;
  const problem = (message: string) => out.problems.push({ cluster, namespace, name, message });
  const merged = input.merge.merged;
  const hold = frozen(config, view, unavailable);
  const slicesOwned = view.slices.filter((s) => mine(s));

  if (!merged || !view.hasNamespace) {
    if (!hold) {
      if (mine(view.serviceImport) && !terminating(view.serviceImport)) out.actions.push(deleteAction(cluster, key, 'ServiceImport', view.serviceImport!, 'no export left'));
      if (mine(view.derived) && !terminating(view.derived)) out.actions.push(deleteAction(cluster, key, 'Service', view.derived!, 'no export left'));
    }
    for (const s of slicesOwned) {
      if (!terminating(s) && !unavailable.has(sourceOf(config, s) ?? '')) out.actions.push(deleteAction(cluster, key, 'EndpointSlice', s, 'no export left'));
    }
    return;
  }
  if (view.serviceImport && !mine(view.serviceImport)) return void problem(`ServiceImport ${namespace}/${name} exists and is not mcsync's; left alone`);
  const derivedName = derivedServiceName(name);
  if (view.derived && !mine(view.derived)) return void problem(`Service ${namespace}/${derivedName} exists and is not mcsync's; left alone`);

  let derivedLive = view.derived;
  if (!hold) {
    const want = renderDerivedService(config, merged);
    if (!derivedLive) {
      out.actions.push(createAction(cluster, key, 'Service', want, 'new import'));
    } else if (!terminating(derivedLive)) {
      if ((derivedLive.spec.clusterIP === 'None') !== (want.spec.clusterIP === 'None')) {
        // A clusterIP cannot be changed in place; the next round creates it anew.
        out.actions.push(deleteAction(cluster, key, 'Service', derivedLive, 'headlessness changed'));
        derivedLive = undefined;
      } else if (derivedServiceProjection(derivedLive) !== derivedServiceProjection(want)) {
        const update = overlayService(derivedLive, want);
        out.actions.push(updateAction(cluster, key, 'Service', update, 'import changed'));
      }
    }
    const clusters = merged.constituents.map((c) => c.cluster);
    const wantImport = renderServiceImport(config, merged, derivedLive && !terminating(derivedLive) ? derivedLive : undefined, clusters);
    const live = view.serviceImport;
    if (!live) {
      out.actions.push(createAction(cluster, key, 'ServiceImport', wantImport, 'new import'));
    } else if (!terminating(live)) {
      if (serviceImportProjection(live) !== serviceImportProjection(wantImport)) {
        const update: ServiceImport = { ...wantImport, metadata: { ...wantImport.metadata, resourceVersion: live.metadata.resourceVersion, uid: live.metadata.uid } };
        out.actions.push(updateAction(cluster, key, 'ServiceImport', update, 'import changed'));
      }
      if (serviceImportStatusProjection(live) !== serviceImportStatusProjection(wantImport)) {
        const status = { ...live.status, clusters: wantImport.status!.clusters!, endpointSliceObjects: wantImport.status!.endpointSliceObjects };
        out.actions.push(statusAction(cluster, key, 'ServiceImport', { ...live, status }, 'exporting clusters or slice presence changed'));
      }
    }
  }

  const existing = view.slices;
  const locality = merged.tiers && 'selectors' in merged.tiers
    ? planLocality({
      namespace, name, selectors: merged.tiers.selectors, importer: cluster, view: input.locality ?? NO_PLACES,
      sources: merged.constituents.filter((c) => !unavailable.has(c.cluster)).map((c) => ({ cluster: c.cluster, slices: c.slices })),
      headless: merged.type === 'Headless',
      ...(merged.trafficDistribution !== undefined ? { trafficDistribution: merged.trafficDistribution } : {}),
    })
    : undefined;
  if (locality) out.locality.push(locality.state);
  const wantSlices = renderImportSlices(config, merged, existing, {
    skipSources: unavailable,
    maxEndpointsPerSlice: input.maxEndpointsPerSlice,
    ...(locality?.hintOf ? { hintOf: locality.hintOf } : {}),
  });
  const byName = new Map(slicesOwned.map((s) => [s.metadata.name, s]));
  const wanted = new Set<string>();
  for (const want of wantSlices) {
    wanted.add(want.metadata.name);
    const live = byName.get(want.metadata.name);
    if (!live) {
      out.actions.push(createAction(cluster, key, 'EndpointSlice', want, 'new endpoints'));
      continue;
    }
    if (terminating(live)) continue;
    if (live.addressType !== want.addressType) {
      out.actions.push(deleteAction(cluster, key, 'EndpointSlice', live, 'address type changed'));
      continue;
    }
    if (sliceProjection(live) === sliceProjection(want)) continue;
    const update: EndpointSlice = { ...want, metadata: { ...want.metadata, resourceVersion: live.metadata.resourceVersion, uid: live.metadata.uid } };
    out.actions.push(updateAction(cluster, key, 'EndpointSlice', update, 'endpoints changed'));
  }
  for (const s of slicesOwned) {
    if (wanted.has(s.metadata.name) || terminating(s) || unavailable.has(sourceOf(config, s) ?? '')) continue;
    out.actions.push(deleteAction(cluster, key, 'EndpointSlice', s, 'endpoints gone'));
  }
}

function planExportStatus(input: McsPlanInput, out: McsPlan): void {
  const key = serviceKey(input.namespace, input.name);
  for (const cluster of [...input.exports.keys()].sort(cmp)) {
    if (input.unavailable.has(cluster)) continue;
    const se = input.exports.get(cluster)!;
    if (terminating(se)) continue;
    const next = nextConditions(se.status?.conditions, desiredConditions(input.merge, cluster), input.now, se.metadata.generation);
    if (conditionsProjection(next) === conditionsProjection(se.status?.conditions)) continue;
    out.actions.push(statusAction(cluster, key, 'ServiceExport', { ...se, status: { ...se.status, conditions: next } }, 'conditions changed'));
  }
}
