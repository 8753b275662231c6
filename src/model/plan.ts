// The difference between what should exist in a destination and what does: the actions that
// converge it, and the conflicts that stop mcsync from converging some of it. Pure.
//
// planDestination runs in numbered steps, one function each, in this order:
//   1. index       what the destination holds: Services and owned slices by key, slices by namespace
//   2. desire      per exported key: the namespace it needs, its conflicts, its Service and slices
//   3. namespaces  create each missing namespace a desired replica needs
//   4. Services    create, update, recreate on a kind change; collect owned ones without a source
//   5. slices      create, update, recreate on an address type change; collect leftovers
//   6. order       namespaces, Service writes, slice writes, slice deletes, Service deletes
import type { Config } from '../config/types.ts';
import { canonicalJson, cmp, cmpTuple } from './canonical.ts';
import { sourceOfSlice } from './cluster-id.ts';
import { CREATED_NAMESPACE, isOwnedReplica, ownershipLabels, SERVICE_NAME, MCS_SERVICE_NAME } from '../vocab/labels.ts';
import { byAge, renderService, sourcesOf } from './replica-service.ts';
import { renderSlices } from './replica-slices.ts';
import { serviceKind } from './service-kind.ts';
import { compareConflicts, missingNamespaceConflict, notOwnedConflict, type Conflict } from './conflicts.ts';
import { endpointsProjection, normalizeSlicePorts, overlayService, serviceProjection, serviceSpecProjection, sliceProjection } from './projection.ts';
import { createAction, deleteAction, updateAction } from './actions.ts';
import { namespaceOf, serviceKey, serviceKeyOf, type ServiceKey } from '../vocab/keys.ts';
import type { Action, DestinationSnapshot, Export, Plan } from './types.ts';
import type { EndpointSlice, Namespace, ObjectMeta, Service } from '../vocab/objects.ts';
import { NO_PLACES, planLocality, type LocalityState, type LocalityView } from './locality/plan.ts';

export interface PlanOptions {
  /** Source clusters that could not be read this round: their replicas are kept as they are, not collected. */
  unavailableSources?: ReadonlySet<string>;
  maxEndpointsPerSlice?: number;
  /** The fleet's places, for Services with locality tiers; without it their tiers are inactive. */
  locality?: LocalityView;
}

/** What every step knows about the destination being planned. */
interface Context {
  config: Config;
  cluster: string;
  unavailable: ReadonlySet<string>;
  maxEndpointsPerSlice: number | undefined;
  locality: LocalityView;
  owned(meta: ObjectMeta): boolean;
  present(namespace: string): boolean;
}

/** "namespace/name" of an EndpointSlice itself (not of its Service). */
function sliceKey(slice: EndpointSlice): string {
  return serviceKey(namespaceOf(slice.metadata), slice.metadata.name);
}

function sliceServiceName(slice: EndpointSlice): string | undefined {
  return slice.metadata.labels?.[SERVICE_NAME] ?? slice.metadata.labels?.[MCS_SERVICE_NAME];
}

/** A slice's source cluster, when it is one that could not be read: its replicas stay as they are. */
function fromUnavailableSource(ctx: Context, slice: EndpointSlice): boolean {
  const source = sourceOfSlice(ctx.config, slice);
  return source !== undefined && ctx.unavailable.has(source);
}

/** An action and where it goes within its phase. */
interface Ordered {
  sortKey: string[];
  action: Action;
}

/**
 * The projection of an object the destination holds, computed once per object: a cached object
 * is replaced, never changed, so its projection is its own for life, and a controller comparing
 * the same unchanged slices on every reconcile of a key under churn pays for it once.
 */
const projections = new WeakMap<object, string>();
function held<T extends object>(project: (o: T) => string, existing: T): string {
  let p = projections.get(existing);
  if (p === undefined) projections.set(existing, (p = project(existing)));
  return p;
}

/**
 * The source clusters of replicas the destination holds that are no cluster of the fleet, when
 * the inventory keeps what a removed cluster sourced (inventory.onRemove: keep, the default):
 * their replicas stay as they are, as an unreachable source's do, until the operator deletes
 * them or sets withdraw — a ClusterProfile deleted by mistake does not wipe its endpoints from
 * the fleet, not even at the next start. Without an inventory, or with withdraw, a source that
 * left is collected.
 */
export function removedSources(config: Config, destination: DestinationSnapshot): Set<string> {
  const out = new Set<string>();
  if (config.inventory?.onRemove !== 'keep') return out;
  const known = new Set(config.clusters.map((c) => c.name));
  for (const slice of destination.ownedSlices) {
    const source = sourceOfSlice(config, slice);
    if (source !== undefined && !known.has(source) && isOwnedReplica(slice.metadata, config.instance)) out.add(source);
  }
  for (const svc of destination.services) {
    if (!isOwnedReplica(svc.metadata, config.instance)) continue;
    for (const source of sourcesOf(svc)) if (!known.has(source)) out.add(source);
  }
  return out;
}

export function planDestination(config: Config, destination: DestinationSnapshot, exports: readonly Export[], opts: PlanOptions = {}): Plan {
  const removed = removedSources(config, destination);
  const ctx: Context = {
    config,
    cluster: destination.cluster,
    unavailable: removed.size === 0 ? opts.unavailableSources ?? new Set<string>() : new Set([...(opts.unavailableSources ?? []), ...removed]),
    maxEndpointsPerSlice: opts.maxEndpointsPerSlice,
    locality: opts.locality ?? NO_PLACES,
    // A ServiceImport's derived Service and slices are owned too, but not replicas: never collected here.
    owned: (meta) => isOwnedReplica(meta, config.instance),
    present: (ns) => destination.namespaces.has(ns),
  };
  const index = indexDestination(destination);
  const desired = desire(ctx, index, exports);
  const namespaces = namespaceActions(ctx, desired);
  const services = serviceActions(ctx, index, desired);
  const slices = sliceActions(ctx, index, desired, services.created);
  const plan = order(namespaces, services, slices, desired.conflicts);
  if (desired.locality.length > 0) plan.locality = desired.locality;
  return plan;
}

// ---------------------------------------------------------------------------------------------
// 1. Index the destination.

interface DestinationIndex {
  services: Map<ServiceKey, Service>;
  /** Owned slices by their own "namespace/name". */
  slices: Map<string, EndpointSlice>;
  slicesByNamespace: Map<string, EndpointSlice[]>;
}

function indexDestination(destination: DestinationSnapshot): DestinationIndex {
  // Several listings of one name would be an apiserver bug; the first wins so the plan stays defined.
  const services = new Map<ServiceKey, Service>();
  for (const svc of destination.services) {
    const key = serviceKeyOf(svc);
    if (!services.has(key)) services.set(key, svc);
  }
  const slices = new Map<string, EndpointSlice>();
  const slicesByNamespace = new Map<string, EndpointSlice[]>();
  for (const slice of destination.ownedSlices) {
    const key = sliceKey(slice);
    if (slices.has(key)) continue;
    slices.set(key, slice);
    const ns = namespaceOf(slice.metadata);
    const inNamespace = slicesByNamespace.get(ns);
    if (inNamespace) inNamespace.push(slice);
    else slicesByNamespace.set(ns, [slice]);
  }
  return { services, slices, slicesByNamespace };
}

// ---------------------------------------------------------------------------------------------
// 2. Desire: what each exported key wants in the destination.

interface Desired {
  conflicts: Conflict[];
  /** Namespace to create → the first key (in order) that needs it, which its action is filed under. */
  namespaceFor: Map<string, ServiceKey>;
  services: Map<ServiceKey, Service>;
  /** By the slice's own "namespace/name". */
  slices: Map<string, EndpointSlice>;
  /** Why a key's leftover slices go, when it is not simply "source gone". */
  sliceGoneReason: Map<ServiceKey, string>;
  /** The locality tier in use, per key with tiers. */
  locality: LocalityState[];
}

/** What one exported key wants in the destination; with its namespace missing and not to be created, only a conflict. */
interface KeyDesire {
  needsNamespace: boolean;
  conflicts: Conflict[];
  service?: Service;
  slices: EndpointSlice[];
  sliceGoneReason?: string;
  locality?: LocalityState;
}

function desire(ctx: Context, index: DestinationIndex, exports: readonly Export[]): Desired {
  const byKey = Map.groupBy(
    exports.filter((ex) => ex.sourceCluster !== ctx.cluster && ex.destinations.includes(ctx.cluster)),
    (ex) => serviceKeyOf(ex.service),
  );
  const desired: Desired = { conflicts: [], namespaceFor: new Map(), services: new Map(), slices: new Map(), sliceGoneReason: new Map(), locality: [] };
  for (const key of [...byKey.keys()].sort(cmp)) {
    const group = byAge(byKey.get(key)!);
    const ns = namespaceOf(group[0]!.service.metadata);
    const want = desireKey(ctx, index, key, group);
    desired.conflicts.push(...want.conflicts);
    if (want.needsNamespace && !desired.namespaceFor.has(ns)) desired.namespaceFor.set(ns, key);
    if (want.service) desired.services.set(key, want.service);
    for (const s of want.slices) desired.slices.set(sliceKey(s), s);
    if (want.sliceGoneReason !== undefined) desired.sliceGoneReason.set(key, want.sliceGoneReason);
    if (want.locality) desired.locality.push(want.locality);
  }
  return desired;
}

/** `oldestFirst` are the exports of `key` to this destination, oldest first. */
function desireKey(ctx: Context, index: DestinationIndex, key: ServiceKey, oldestFirst: readonly Export[]): KeyDesire {
  const { config, cluster, unavailable } = ctx;
  const ns = namespaceOf(oldestFirst[0]!.service.metadata);
  const name = oldestFirst[0]!.service.metadata.name;
  const needsNamespace = !ctx.present(ns);
  if (needsNamespace && !config.createNamespaces) {
    return { needsNamespace: false, conflicts: [missingNamespaceConflict(cluster, ns, name)], slices: [] };
  }
  // The oldest export's tiers, as its spec: the Multi-Cluster Services API's rule for disagreements.
  const selectors = oldestFirst[0]!.clusterSelectors;
  const localityOf = (contributing: readonly Export[], trafficDistribution: string | undefined, mergedWithLocal: boolean) =>
    selectors && serviceKind(contributing[0]?.service ?? oldestFirst[0]!.service) !== 'ExternalName'
      ? planLocality({
        namespace: ns, name, selectors, importer: cluster, view: ctx.locality,
        sources: contributing.filter((e) => !unavailable.has(e.sourceCluster)).map((e) => ({ cluster: e.sourceCluster, slices: e.slices })),
        headless: serviceKind(oldestFirst[0]!.service) === 'Headless',
        mergedWithLocal,
        ...(trafficDistribution !== undefined ? { trafficDistribution } : {}),
      })
      : undefined;
  const slicesFrom = (contributing: readonly Export[], trafficDistribution: string | undefined, mergedWithLocal = false) => {
    const locality = localityOf(contributing, trafficDistribution, mergedWithLocal);
    const slices = renderSlices(config, ns, name, contributing, index.slicesByNamespace.get(ns) ?? [], {
      maxEndpointsPerSlice: ctx.maxEndpointsPerSlice,
      skipSources: unavailable,
      trafficDistribution,
      ...(locality?.hintOf ? { hintOf: locality.hintOf } : {}),
    });
    return { slices, ...(locality ? { locality: locality.state } : {}) };
  };

  const existing = index.services.get(key);
  if (existing && !ctx.owned(existing.metadata)) {
    // Someone else's Service: with policy merge our slices join it, with skip we stay out.
    const skipping = oldestFirst.filter((e) => e.conflictPolicy === 'skip');
    const merging = oldestFirst.filter((e) => e.conflictPolicy === 'merge');
    return {
      needsNamespace,
      conflicts: skipping.length > 0 ? [notOwnedConflict(cluster, ns, name, skipping.map((e) => e.sourceCluster))] : [],
      // Joining someone else's Service: its distribution is the one kube-proxy applies.
      ...slicesFrom(merging, existing.spec.trafficDistribution, true),
      sliceGoneReason: skipping.length > 0 ? 'destination Service not owned by mcsync' : 'endpoints gone',
    };
  }
  const keptSources = existing ? sourcesOf(existing).filter((s) => unavailable.has(s)) : [];
  const rendered = renderService(config, cluster, oldestFirst, keptSources);
  if (serviceKind(rendered.service) === 'ExternalName') {
    return { needsNamespace, conflicts: rendered.conflicts, service: rendered.service, slices: [], sliceGoneReason: 'Service is ExternalName' };
  }
  // Hints follow the source's own distribution; the replica's may be PreferClose only to make kube-proxy read the tiers' hints.
  return { needsNamespace, conflicts: rendered.conflicts, service: rendered.service, ...slicesFrom(oldestFirst, rendered.winner.service.spec.trafficDistribution), sliceGoneReason: 'endpoints gone' };
}

// ---------------------------------------------------------------------------------------------
// 3. Namespace actions.

function namespaceActions(ctx: Context, desired: Desired): Ordered[] {
  return [...desired.namespaceFor.keys()].sort(cmp).map((ns) => {
    const object: Namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { [CREATED_NAMESPACE]: 'true', ...ownershipLabels(ctx.config.instance) } },
    };
    return { sortKey: [ns], action: createAction(ctx.cluster, desired.namespaceFor.get(ns)!, 'Namespace', object, 'namespace missing') };
  });
}

// ---------------------------------------------------------------------------------------------
// 4. Service actions.

interface ServiceActions {
  writes: Ordered[];
  deletes: Ordered[];
  /** Keys whose Service this plan creates (their new slices are filed as "new export"). */
  created: Set<ServiceKey>;
}

function serviceActions(ctx: Context, index: DestinationIndex, desired: Desired): ServiceActions {
  const { cluster } = ctx;
  const out: ServiceActions = { writes: [], deletes: [], created: new Set() };
  for (const [key, want] of desired.services) {
    const ns = namespaceOf(want.metadata);
    const name = want.metadata.name;
    const existing = index.services.get(key);
    if (!existing) {
      out.created.add(key);
      out.writes.push({ sortKey: [ns, name, '1'], action: createAction(cluster, key, 'Service', want, 'new export') });
      continue;
    }
    // Recreating it now would race the apiserver finishing the deletion; next round creates it.
    if (existing.metadata.deletionTimestamp) continue;
    if (serviceKind(existing) !== serviceKind(want)) {
      out.writes.push({ sortKey: [ns, name, '0'], action: deleteAction(cluster, key, 'Service', existing, 'type changed') });
      out.writes.push({ sortKey: [ns, name, '1'], action: createAction(cluster, key, 'Service', want, 'type changed') });
      continue;
    }
    if (held(serviceProjection, existing) === serviceProjection(want)) continue;
    const reason = serviceSpecProjection(existing) !== serviceSpecProjection(want) ? 'spec changed' : 'labels or annotations changed';
    out.writes.push({ sortKey: [ns, name, '1'], action: updateAction(cluster, key, 'Service', overlayService(existing, want), reason) });
  }
  for (const [key, existing] of index.services) {
    if (desired.services.has(key) || !ctx.owned(existing.metadata) || existing.metadata.deletionTimestamp) continue;
    const ns = namespaceOf(existing.metadata);
    if (!ctx.present(ns)) continue;
    // An unreachable source may still have the Service; deleting the replica would cut traffic to it.
    if (sourcesOf(existing).some((s) => ctx.unavailable.has(s))) continue;
    out.deletes.push({ sortKey: [ns, existing.metadata.name], action: deleteAction(cluster, key, 'Service', existing, 'source gone') });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. Slice actions.

interface SliceActions {
  writes: Ordered[];
  deletes: Ordered[];
}

function sliceActions(ctx: Context, index: DestinationIndex, desired: Desired, createdServices: ReadonlySet<ServiceKey>): SliceActions {
  const { cluster } = ctx;
  const out: SliceActions = { writes: [], deletes: [] };
  for (const [key, want] of desired.slices) {
    const ns = namespaceOf(want.metadata);
    const name = want.metadata.name;
    const existing = index.slices.get(key);
    const owner = serviceKey(ns, want.metadata.labels?.[SERVICE_NAME] ?? '');
    if (!existing) {
      const reason = createdServices.has(owner) ? 'new export' : 'new endpoints';
      out.writes.push({ sortKey: [ns, name, '1'], action: createAction(cluster, owner, 'EndpointSlice', want, reason) });
      continue;
    }
    // renderSlices never reuses a name it may not write; this guards the ownership contract regardless.
    if (!ctx.owned(existing.metadata) || existing.metadata.deletionTimestamp || fromUnavailableSource(ctx, existing)) continue;
    if (existing.addressType !== want.addressType) {
      out.writes.push({ sortKey: [ns, name, '0'], action: deleteAction(cluster, owner, 'EndpointSlice', existing, 'address type changed') });
      out.writes.push({ sortKey: [ns, name, '1'], action: createAction(cluster, owner, 'EndpointSlice', want, 'address type changed') });
      continue;
    }
    if (held(sliceProjection, existing) === sliceProjection(want)) continue;
    const reason =
      endpointsProjection(existing.endpoints) !== endpointsProjection(want.endpoints)
        ? 'endpoints changed'
        : canonicalJson(normalizeSlicePorts(existing.ports)) !== canonicalJson(normalizeSlicePorts(want.ports))
          ? 'ports changed'
          : 'labels or annotations changed';
    const object: EndpointSlice = { ...want, metadata: { ...want.metadata } };
    if (existing.metadata.resourceVersion !== undefined) object.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (existing.metadata.uid !== undefined) object.metadata.uid = existing.metadata.uid;
    out.writes.push({ sortKey: [ns, name, '1'], action: updateAction(cluster, owner, 'EndpointSlice', object, reason) });
  }
  for (const [key, existing] of index.slices) {
    if (desired.slices.has(key) || !ctx.owned(existing.metadata) || existing.metadata.deletionTimestamp) continue;
    const ns = namespaceOf(existing.metadata);
    if (!ctx.present(ns)) continue;
    // An unreachable cluster is not a deleted one: its pods may still be serving.
    if (fromUnavailableSource(ctx, existing)) continue;
    const owner = serviceKey(ns, sliceServiceName(existing) ?? '');
    const reason = desired.sliceGoneReason.get(owner) ?? 'source gone';
    out.deletes.push({ sortKey: [ns, existing.metadata.name], action: deleteAction(cluster, owner, 'EndpointSlice', existing, reason) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 6. Order: a namespace before what goes in it, a Service before its slices, slices gone
//    before the Service they belong to.

function order(namespaces: Ordered[], services: ServiceActions, slices: SliceActions, conflicts: Conflict[]): Plan {
  const sorted = (xs: Ordered[]) => xs.sort((a, b) => cmpTuple(a.sortKey, b.sortKey)).map((x) => x.action);
  return {
    actions: [...sorted(namespaces), ...sorted(services.writes), ...sorted(slices.writes), ...sorted(slices.deletes), ...sorted(services.deletes)],
    conflicts: conflicts.sort(compareConflicts),
  };
}

/** Every destination in config order; a destination without a snapshot (unreachable) gets no actions. */
export function planAll(config: Config, exports: readonly Export[], destinations: readonly DestinationSnapshot[], opts: PlanOptions = {}): Plan {
  const plan: Plan = { actions: [], conflicts: [] };
  for (const c of config.clusters) {
    const snapshot = destinations.find((d) => d.cluster === c.name);
    if (!snapshot) continue;
    const p = planDestination(config, snapshot, exports, opts);
    plan.actions.push(...p.actions);
    plan.conflicts.push(...p.conflicts);
    if (p.locality) (plan.locality ??= []).push(...p.locality);
  }
  return plan;
}
