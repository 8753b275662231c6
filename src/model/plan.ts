// The difference between what should exist in a destination and what does: the actions that
// converge it, and the conflicts that stop mcsync from converging some of it. Pure.
import type { Config } from '../config/types.ts';
import { canonicalJson, cmp, cmpTuple } from './canonical.ts';
import { CREATED_NAMESPACE, isOwned, MCS_SOURCE_CLUSTER, ownershipLabels, SERVICE_NAME, MCS_SERVICE_NAME } from './labels.ts';
import { byAge, normalizeSlicePorts, renderService, renderSlices, serviceKind, sourcesOf } from './render.ts';
import type { Action, Conflict, DestinationSnapshot, Endpoint, EndpointSlice, Export, Namespace, ObjectRef, Plan, Service } from './types.ts';

export interface PlanOptions {
  /** Source clusters that could not be read this round: their replicas are kept as they are, not collected. */
  unavailableSources?: ReadonlySet<string>;
  maxEndpointsPerSlice?: number;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const nsOf = (meta: { namespace?: string }) => meta.namespace ?? 'default';

// ---------------------------------------------------------------------------------------------
// What "differs" means: only the fields mcsync controls, normalized the way the apiserver
// defaults them, so a converged object never looks changed.

function serviceProjection(svc: Service): string {
  const selector = svc.spec.selector && Object.keys(svc.spec.selector).length > 0 ? svc.spec.selector : undefined;
  return canonicalJson({
    labels: svc.metadata.labels ?? {},
    annotations: svc.metadata.annotations ?? {},
    type: svc.spec.type ?? 'ClusterIP',
    clusterIP: svc.spec.clusterIP === 'None' ? 'None' : undefined,
    externalName: svc.spec.externalName,
    ports: (svc.spec.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port, appProtocol: p.appProtocol })),
    sessionAffinity: svc.spec.sessionAffinity ?? 'None',
    sessionAffinityConfig: svc.spec.sessionAffinityConfig,
    // A selector on a replica would make the local controller write slices of its own next to ours.
    selector,
  });
}

function serviceSpecProjection(svc: Service): string {
  const p = JSON.parse(serviceProjection(svc)) as Record<string, unknown>;
  delete p['labels'];
  delete p['annotations'];
  return canonicalJson(p);
}

function endpointsProjection(endpoints: readonly Endpoint[] | null | undefined): string {
  return canonicalJson(
    (endpoints ?? []).map((ep) => ({
      addresses: ep.addresses ?? [],
      conditions: { ready: ep.conditions?.ready, serving: ep.conditions?.serving, terminating: ep.conditions?.terminating },
      hostname: ep.hostname,
      zone: ep.zone,
    })),
  );
}

function sliceProjection(slice: EndpointSlice): string {
  return canonicalJson({
    labels: slice.metadata.labels ?? {},
    annotations: slice.metadata.annotations ?? {},
    addressType: slice.addressType,
    ports: normalizeSlicePorts(slice.ports),
    endpoints: endpointsProjection(slice.endpoints),
  });
}

/** Fields that only make sense for NodePort / LoadBalancer; the apiserver rejects some of them on a ClusterIP Service. */
const TYPE_DEPENDENT_FIELDS = [
  'healthCheckNodePort',
  'externalTrafficPolicy',
  'loadBalancerIP',
  'loadBalancerSourceRanges',
  'loadBalancerClass',
  'allocateLoadBalancerNodePorts',
] as const;

/** The existing object with mcsync's fields laid over it: server-set fields (clusterIP, ipFamilies, resourceVersion) survive a PUT. */
export function overlayService(existing: Service, desired: Service): Service {
  const spec: Service['spec'] = { ...existing.spec };
  delete spec.selector;
  if (desired.spec.type !== existing.spec.type) for (const f of TYPE_DEPENDENT_FIELDS) delete spec[f];
  spec.type = desired.spec.type;
  if (desired.spec.clusterIP === 'None') spec.clusterIP = 'None';
  for (const f of ['externalName', 'ports', 'sessionAffinity', 'sessionAffinityConfig'] as const) {
    if (desired.spec[f] === undefined) delete spec[f];
    else spec[f] = structuredClone(desired.spec[f]) as never;
  }
  const metadata = { ...existing.metadata, labels: { ...desired.metadata.labels }, annotations: { ...desired.metadata.annotations } };
  return { ...existing, apiVersion: 'v1', kind: 'Service', metadata, spec };
}

/** Whether a live replica already holds everything mcsync wants in it (a write would change nothing it controls). */
export function replicaMatches(kind: 'Service' | 'EndpointSlice', live: Service | EndpointSlice, wanted: Service | EndpointSlice): boolean {
  if (kind === 'Service') return serviceProjection(live as Service) === serviceProjection(wanted as Service);
  return sliceProjection(live as EndpointSlice) === sliceProjection(wanted as EndpointSlice);
}

function refOf(kind: ObjectRef['kind'], obj: { metadata: EndpointSlice['metadata'] }): ObjectRef {
  const ref: ObjectRef = { kind, namespace: nsOf(obj.metadata), name: obj.metadata.name };
  if (obj.metadata.uid !== undefined) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion !== undefined) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

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
  const namespacesToCreate = new Set<string>();
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
      namespacesToCreate.add(ns);
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

  const namespaceActions: Ordered[] = [...namespacesToCreate].sort(cmp).map((ns) => {
    const object: Namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { [CREATED_NAMESPACE]: 'true', ...ownershipLabels(instance) } },
    };
    return { sortKey: [ns], action: { verb: 'create', cluster, kind: 'Namespace', object, reason: 'namespace missing' } };
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
      serviceWrites.push({ sortKey: [ns, name, '1'], action: { verb: 'create', cluster, kind: 'Service', object: desired, reason: 'new export' } });
      continue;
    }
    // Recreating it now would race the apiserver finishing the deletion; next round creates it.
    if (existing.metadata.deletionTimestamp) continue;
    if (serviceKind(existing) !== serviceKind(desired)) {
      serviceWrites.push({ sortKey: [ns, name, '0'], action: { verb: 'delete', cluster, ref: refOf('Service', existing), reason: 'type changed' } });
      serviceWrites.push({ sortKey: [ns, name, '1'], action: { verb: 'create', cluster, kind: 'Service', object: desired, reason: 'type changed' } });
      continue;
    }
    if (serviceProjection(existing) === serviceProjection(desired)) continue;
    const reason = serviceSpecProjection(existing) !== serviceSpecProjection(desired) ? 'spec changed' : 'labels or annotations changed';
    serviceWrites.push({ sortKey: [ns, name, '1'], action: { verb: 'update', cluster, kind: 'Service', object: overlayService(existing, desired), reason } });
  }
  for (const [key, existing] of existingServices) {
    if (desiredServices.has(key) || !owned(existing.metadata) || existing.metadata.deletionTimestamp) continue;
    if (!present(nsOf(existing.metadata))) continue;
    // An unreachable source may still have the Service; deleting the replica would cut traffic to it.
    if (sourcesOf(existing).some((s) => unavailable.has(s))) continue;
    serviceDeletes.push({
      sortKey: [nsOf(existing.metadata), existing.metadata.name],
      action: { verb: 'delete', cluster, ref: refOf('Service', existing), reason: 'source gone' },
    });
  }

  const sliceWrites: Ordered[] = [];
  const sliceDeletes: Ordered[] = [];
  for (const [key, desired] of desiredSlices) {
    const ns = nsOf(desired.metadata);
    const name = desired.metadata.name;
    const existing = existingSlices.get(key);
    const serviceKey = keyOf(ns, desired.metadata.labels?.[SERVICE_NAME] ?? '');
    if (!existing) {
      const reason = createdServices.has(serviceKey) ? 'new export' : 'new endpoints';
      sliceWrites.push({ sortKey: [ns, name, '1'], action: { verb: 'create', cluster, kind: 'EndpointSlice', object: desired, reason } });
      continue;
    }
    // renderSlices never reuses a name it may not write; this guards the ownership contract regardless.
    const source = existing.metadata.labels?.[MCS_SOURCE_CLUSTER];
    if (!owned(existing.metadata) || existing.metadata.deletionTimestamp || (source !== undefined && unavailable.has(source))) continue;
    if (existing.addressType !== desired.addressType) {
      sliceWrites.push({ sortKey: [ns, name, '0'], action: { verb: 'delete', cluster, ref: refOf('EndpointSlice', existing), reason: 'address type changed' } });
      sliceWrites.push({ sortKey: [ns, name, '1'], action: { verb: 'create', cluster, kind: 'EndpointSlice', object: desired, reason: 'address type changed' } });
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
    sliceWrites.push({ sortKey: [ns, name, '1'], action: { verb: 'update', cluster, kind: 'EndpointSlice', object, reason } });
  }
  for (const [key, existing] of existingSlices) {
    if (desiredSlices.has(key) || !owned(existing.metadata) || existing.metadata.deletionTimestamp) continue;
    const ns = nsOf(existing.metadata);
    if (!present(ns)) continue;
    const source = existing.metadata.labels?.[MCS_SOURCE_CLUSTER];
    // An unreachable cluster is not a deleted one: its pods may still be serving.
    if (source !== undefined && unavailable.has(source)) continue;
    const reason = sliceGoneReason.get(keyOf(ns, sliceServiceName(existing) ?? '')) ?? 'source gone';
    sliceDeletes.push({ sortKey: [ns, existing.metadata.name], action: { verb: 'delete', cluster, ref: refOf('EndpointSlice', existing), reason } });
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
