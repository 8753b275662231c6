// The difference between what should exist in a destination and what does: the actions that
// converge it, and the conflicts that stop mcsync from converging some of it. Pure.
import type { Config } from '../config/types.ts';
import { canonicalJson, cmp, cmpTuple } from './canonical.ts';
import { CREATED_NAMESPACE, isOwned, MCS_SOURCE_CLUSTER, ownershipLabels, SERVICE_NAME, MCS_SERVICE_NAME } from '../vocab/labels.ts';
import { byAge, renderService, sourcesOf } from './replica-service.ts';
import { renderSlices } from './replica-slices.ts';
import { serviceKind } from './service-kind.ts';
import { endpointsProjection, normalizeSlicePorts, overlayService, serviceProjection, serviceSpecProjection, sliceProjection } from './projection.ts';
import { createAction, deleteAction, updateAction } from './actions.ts';
import { namespaceOf, serviceKey } from '../vocab/keys.ts';
import type { Conflict } from './conflicts.ts';
import type { Action, DestinationSnapshot, Export, Plan } from './types.ts';
import type { Endpoint, EndpointSlice, Namespace, ObjectRef, Service } from '../vocab/objects.ts';

export interface PlanOptions {
  /** Source clusters that could not be read this round: their replicas are kept as they are, not collected. */
  unavailableSources?: ReadonlySet<string>;
  maxEndpointsPerSlice?: number;
}

const keyOf = serviceKey;
const nsOf = namespaceOf;

function sliceServiceName(slice: EndpointSlice): string | undefined {
  return slice.metadata.labels?.[SERVICE_NAME] ?? slice.metadata.labels?.[MCS_SERVICE_NAME];
}

// ---------------------------------------------------------------------------------------------

interface Ordered {
  sortKey: string[];
  action: Action;
}

export function planDestination(config: Config, destination: DestinationSnapshot, exports: readonly Export[], opts: PlanOptions = {}): Plan {
  const cluster = destination.cluster;
  const instance = config.instance;
  const unavailable = opts.unavailableSources ?? new Set<string>();
  const owned = (meta: EndpointSlice['metadata']) => isOwned(meta, instance);
  const present = (ns: string) => destination.namespaces.has(ns);

  const byKey = Map.groupBy(
    exports.filter((ex) => ex.sourceCluster !== cluster && ex.destinations.includes(cluster)),
    (ex) => keyOf(nsOf(ex.service.metadata), ex.service.metadata.name),
  );

  // Several listings of one name would be an apiserver bug; the first wins so the plan stays defined.
  const existingServices = new Map<string, Service>();
  for (const svc of destination.services) {
    const key = keyOf(nsOf(svc.metadata), svc.metadata.name);
    if (!existingServices.has(key)) existingServices.set(key, svc);
  }
  const existingSlices = new Map<string, EndpointSlice>();
  const slicesByNamespace = new Map<string, EndpointSlice[]>();
  for (const slice of destination.ownedSlices) {
    const ns = nsOf(slice.metadata);
    const key = keyOf(ns, slice.metadata.name);
    if (existingSlices.has(key)) continue;
    existingSlices.set(key, slice);
    const inNamespace = slicesByNamespace.get(ns);
    if (inNamespace) inNamespace.push(slice);
    else slicesByNamespace.set(ns, [slice]);
  }

  const conflicts: Conflict[] = [];
  /** Namespace to create → the first key (in order) that needs it, which its action is filed under. */
  const namespaceFor = new Map<string, string>();
  const desiredServices = new Map<string, Service>();
  const desiredSlices = new Map<string, EndpointSlice>();
  /** Why a key's leftover slices go, when it is not simply "source gone". */
  const sliceGoneReason = new Map<string, string>();

  for (const key of [...byKey.keys()].sort(cmp)) {
    const group = byAge(byKey.get(key)!);
    const ns = nsOf(group[0]!.service.metadata);
    const name = group[0]!.service.metadata.name;
    if (!present(ns)) {
      if (!config.createNamespaces) {
        conflicts.push({
          kind: 'missing-namespace',
          cluster,
          namespace: ns,
          name,
          message: `namespace ${ns} does not exist in ${cluster} and createNamespaces is off`,
        });
        continue;
      }
      if (!namespaceFor.has(ns)) namespaceFor.set(ns, key);
    }
    const sliceOpts = { maxEndpointsPerSlice: opts.maxEndpointsPerSlice, skipSources: unavailable };
    const nsSlices = slicesByNamespace.get(ns) ?? [];
    const existing = existingServices.get(key);
    if (existing && !owned(existing.metadata)) {
      const skipping = group.filter((e) => e.conflictPolicy === 'skip');
      const merging = group.filter((e) => e.conflictPolicy === 'merge');
      if (skipping.length > 0) {
        conflicts.push({
          kind: 'not-owned',
          cluster,
          namespace: ns,
          name,
          message: `${cluster} already has Service ${key}, not created by mcsync; not replicating it from ${skipping.map((e) => e.sourceCluster).join(', ')} (conflictPolicy skip)`,
        });
      }
      sliceGoneReason.set(key, skipping.length > 0 ? 'destination Service not owned by mcsync' : 'endpoints gone');
      for (const s of renderSlices(config, ns, name, merging, nsSlices, sliceOpts)) desiredSlices.set(keyOf(ns, s.metadata.name), s);
      continue;
    }
    const keptSources = existing ? sourcesOf(existing).filter((s) => unavailable.has(s)) : [];
    const rendered = renderService(config, cluster, group, keptSources);
    conflicts.push(...rendered.conflicts);
    desiredServices.set(key, rendered.service);
    if (serviceKind(rendered.service) === 'ExternalName') {
      sliceGoneReason.set(key, 'Service is ExternalName');
      continue;
    }
    for (const s of renderSlices(config, ns, name, group, nsSlices, sliceOpts)) desiredSlices.set(keyOf(ns, s.metadata.name), s);
    sliceGoneReason.set(key, 'endpoints gone');
  }

  const namespaceActions: Ordered[] = [...namespaceFor.keys()].sort(cmp).map((ns) => {
    const object: Namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { [CREATED_NAMESPACE]: 'true', ...ownershipLabels(instance) } },
    };
    return { sortKey: [ns], action: createAction(cluster, namespaceFor.get(ns)!, 'Namespace', object, 'namespace missing') };
  });

  const serviceWrites: Ordered[] = [];
  const serviceDeletes: Ordered[] = [];
  const createdServices = new Set<string>();
  for (const [key, desired] of desiredServices) {
    const ns = nsOf(desired.metadata);
    const name = desired.metadata.name;
    const existing = existingServices.get(key);
    if (!existing) {
      createdServices.add(key);
      serviceWrites.push({ sortKey: [ns, name, '1'], action: createAction(cluster, key, 'Service', desired, 'new export') });
      continue;
    }
    // Recreating it now would race the apiserver finishing the deletion; next round creates it.
    if (existing.metadata.deletionTimestamp) continue;
    if (serviceKind(existing) !== serviceKind(desired)) {
      serviceWrites.push({ sortKey: [ns, name, '0'], action: deleteAction(cluster, key, 'Service', existing, 'type changed') });
      serviceWrites.push({ sortKey: [ns, name, '1'], action: createAction(cluster, key, 'Service', desired, 'type changed') });
      continue;
    }
    if (serviceProjection(existing) === serviceProjection(desired)) continue;
    const reason = serviceSpecProjection(existing) !== serviceSpecProjection(desired) ? 'spec changed' : 'labels or annotations changed';
    serviceWrites.push({ sortKey: [ns, name, '1'], action: updateAction(cluster, key, 'Service', overlayService(existing, desired), reason) });
  }
  for (const [key, existing] of existingServices) {
    if (desiredServices.has(key) || !owned(existing.metadata) || existing.metadata.deletionTimestamp) continue;
    if (!present(nsOf(existing.metadata))) continue;
    // An unreachable source may still have the Service; deleting the replica would cut traffic to it.
    if (sourcesOf(existing).some((s) => unavailable.has(s))) continue;
    serviceDeletes.push({
      sortKey: [nsOf(existing.metadata), existing.metadata.name],
      action: deleteAction(cluster, key, 'Service', existing, 'source gone'),
    });
  }

  const sliceWrites: Ordered[] = [];
  const sliceDeletes: Ordered[] = [];
  for (const [key, desired] of desiredSlices) {
    const ns = nsOf(desired.metadata);
    const name = desired.metadata.name;
    const existing = existingSlices.get(key);
    const owner = keyOf(ns, desired.metadata.labels?.[SERVICE_NAME] ?? '');
    if (!existing) {
      const reason = createdServices.has(owner) ? 'new export' : 'new endpoints';
      sliceWrites.push({ sortKey: [ns, name, '1'], action: createAction(cluster, owner, 'EndpointSlice', desired, reason) });
      continue;
    }
    // renderSlices never reuses a name it may not write; this guards the ownership contract regardless.
    const source = existing.metadata.labels?.[MCS_SOURCE_CLUSTER];
    if (!owned(existing.metadata) || existing.metadata.deletionTimestamp || (source !== undefined && unavailable.has(source))) continue;
    if (existing.addressType !== desired.addressType) {
      sliceWrites.push({ sortKey: [ns, name, '0'], action: deleteAction(cluster, owner, 'EndpointSlice', existing, 'address type changed') });
      sliceWrites.push({ sortKey: [ns, name, '1'], action: createAction(cluster, owner, 'EndpointSlice', desired, 'address type changed') });
      continue;
    }
    if (sliceProjection(existing) === sliceProjection(desired)) continue;
    const reason =
      endpointsProjection(existing.endpoints) !== endpointsProjection(desired.endpoints)
        ? 'endpoints changed'
        : canonicalJson(normalizeSlicePorts(existing.ports)) !== canonicalJson(normalizeSlicePorts(desired.ports))
          ? 'ports changed'
          : 'labels or annotations changed';
    const object: EndpointSlice = { ...desired, metadata: { ...desired.metadata } };
    if (existing.metadata.resourceVersion !== undefined) object.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (existing.metadata.uid !== undefined) object.metadata.uid = existing.metadata.uid;
    sliceWrites.push({ sortKey: [ns, name, '1'], action: updateAction(cluster, owner, 'EndpointSlice', object, reason) });
  }
  for (const [key, existing] of existingSlices) {
    if (desiredSlices.has(key) || !owned(existing.metadata) || existing.metadata.deletionTimestamp) continue;
    const ns = nsOf(existing.metadata);
    if (!present(ns)) continue;
    const source = existing.metadata.labels?.[MCS_SOURCE_CLUSTER];
    // An unreachable cluster is not a deleted one: its pods may still be serving.
    if (source !== undefined && unavailable.has(source)) continue;
    const owner = keyOf(ns, sliceServiceName(existing) ?? '');
    const reason = sliceGoneReason.get(owner) ?? 'source gone';
    sliceDeletes.push({ sortKey: [ns, existing.metadata.name], action: deleteAction(cluster, owner, 'EndpointSlice', existing, reason) });
  }

  const sorted = (xs: Ordered[]) => xs.sort((a, b) => cmpTuple(a.sortKey, b.sortKey)).map((x) => x.action);
  return {
    actions: [...sorted(namespaceActions), ...sorted(serviceWrites), ...sorted(sliceWrites), ...sorted(sliceDeletes), ...sorted(serviceDeletes)],
    conflicts: conflicts.sort((a, b) => cmpTuple([a.namespace, a.name, a.kind, a.message], [b.namespace, b.name, b.kind, b.message])),
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
  }
  return plan;
}
