// The KEP-1645 merge of one multi-cluster service: its constituents (one ServiceExport and the
// Service it names, per exporting cluster) become one import definition. The oldest export
// (ServiceExport creationTimestamp, ties by cluster name) defines the type, session affinity,
// traffic policy, exported labels and annotations, and each port name; ports are the union;
// every difference is a conflict reported on every constituent export. Pure.
import { canonicalJson, cmp, cmpTuple } from '../canonical.ts';
import { guardSlices, podRanges, type Rejection } from '../endpoint-guard.ts';
import { wantsDualStack } from '../routing.ts';
import type { EndpointSlice, Service, ServicePort } from '../../vocab/objects.ts';
import type { McsPort, ServiceExport, ServiceImportType } from '../../vocab/mcs.ts';
import { CLUSTER_SELECTORS } from '../../vocab/labels.ts';
import { tiersFromAnnotation, type Tiers } from '../locality/annotation.ts';

/** What one cluster holds under a multi-cluster service's name. */
export interface Constituent {
  cluster: string;
  serviceExport: ServiceExport;
  /** The Service of the same name and namespace, when there is one. */
  service?: Service;
  slices: EndpointSlice[];
}

/** A constituent, and what the endpoint guard dropped from its slices. */
export interface GuardedConstituent {
  constituent: Constituent;
  rejected: Rejection[];
}

/**
 * One cluster's constituent, its slices passed through the endpoint guard of that cluster's pod
 * ranges: the config's podCIDRs, else `nodeCidrs` (what its Nodes declare), as for replicas. The
 * controller and the one-shot commands build it alike.
 */
export function constituentOf(
  cluster: { name: string; podCIDRs?: string[] },
  serviceExport: ServiceExport,
  service: Service | undefined,
  slices: readonly EndpointSlice[],
  nodeCidrs?: readonly string[],
): GuardedConstituent {
  const guarded = guardSlices(slices, podRanges(cluster.podCIDRs ?? nodeCidrs));
  const constituent: Constituent = { cluster: cluster.name, serviceExport, slices: guarded.slices };
  if (service) constituent.service = service;
  const where = { cluster: cluster.name, namespace: serviceExport.metadata.namespace ?? 'default', name: serviceExport.metadata.name };
  return { constituent, rejected: guarded.rejected.map((r) => ({ ...where, ...r })) };
}

/** Why an export cannot take part (the Valid condition's False reasons). */
export type InvalidReason = 'NoService' | 'InvalidServiceType';

/** The Conflict condition's reasons, in the order they are joined when several hold. */
export const CONFLICT_REASONS = [
  'TypeConflict',
  'PortConflict',
  'SessionAffinityConflict',
  'SessionAffinityConfigConflict',
  'InternalTrafficPolicyConflict',
  'TrafficDistributionConflict',
  'LabelsConflict',
  'AnnotationsConflict',
  'ClusterSelectorsConflict',
] as const;
export type ConflictReason = (typeof CONFLICT_REASONS)[number];

export interface McsConflict {
  reason: ConflictReason;
  /** What differs, in words, naming the clusters whose export lost. */
  message: string;
}

export interface MergedPort extends McsPort {
  /** Clusters whose Service defines this port name exactly so: the only ones its traffic reaches. */
  clusters: string[];
}

export interface MergedService {
  namespace: string;
  name: string;
  type: ServiceImportType;
  ports: MergedPort[];
  sessionAffinity: string;
  sessionAffinityConfig?: unknown;
  internalTrafficPolicy?: string;
  trafficDistribution?: string;
  /**
   * Whether the derived Service needs both IP families where a cluster has them: some exported
   * Service asks for dual stack or has an IPv6 family (routing.ts), whose endpoints an
   * IPv4-only ClusterIP would not reach. Not a conflict field: every export's endpoints count.
   */
  dualStack: boolean;
  exportedLabels: Record<string, string>;
  exportedAnnotations: Record<string, string>;
  /** The oldest export's locality tiers, or why its annotation could not be read (then no tiers apply). */
  tiers?: NonNullable<Tiers>;
  /** The valid constituents, oldest first. */
  constituents: Constituent[];
  conflicts: McsConflict[];
}

export interface Merge {
  /** Undefined when no constituent is valid: no import exists anywhere. */
  merged?: MergedService;
  invalid: { cluster: string; reason: InvalidReason; message: string }[];
}

const typeOf = (svc: Service): ServiceImportType => (svc.spec.clusterIP === 'None' ? 'Headless' : 'ClusterSetIP');

/** The port as the import lists it: protocol always set (the API's default is TCP). */
export function mcsPort(p: ServicePort): McsPort {
  const out: McsPort = { protocol: p.protocol ?? 'TCP', port: p.port };
  if (p.name) out.name = p.name;
  if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
  return out;
}

const portIdentity = (p: McsPort): string => canonicalJson([p.protocol, p.port, p.appProtocol ?? null]);
const portSet = (svc: Service): string =>
  canonicalJson((svc.spec.ports ?? []).map(mcsPort).map((p) => [p.name ?? '', portIdentity(p)]).sort(cmpTuple));

function byAge(a: Constituent, b: Constituent): number {
  return cmpTuple([a.serviceExport.metadata.creationTimestamp ?? '', a.cluster], [b.serviceExport.metadata.creationTimestamp ?? '', b.cluster]);
}

function invalidity(c: Constituent): { reason: InvalidReason; message: string } | undefined {
  const svc = c.service;
  if (!svc || svc.metadata.deletionTimestamp) return { reason: 'NoService', message: `no Service ${c.serviceExport.metadata.name} in namespace ${c.serviceExport.metadata.namespace ?? 'default'}` };
  if (svc.spec.type === 'ExternalName') return { reason: 'InvalidServiceType', message: 'an ExternalName Service cannot be exported' };
  return undefined;
}

/** Merges the constituents of one multi-cluster service; their order does not matter. */
export function mergeConstituents(namespace: string, name: string, all: readonly Constituent[]): Merge {
  const invalid: Merge['invalid'] = [];
  const valid: Constituent[] = [];
  for (const c of [...all].sort(byAge)) {
    if (c.serviceExport.metadata.deletionTimestamp) continue;
    const bad = invalidity(c);
    if (bad) invalid.push({ cluster: c.cluster, ...bad });
    else valid.push(c);
  }
  if (valid.length === 0) return { invalid };
  const oldest = valid[0]!;
  const svc = oldest.service!;
  const conflicts: McsConflict[] = [];
  const differs = (reason: ConflictReason, what: string, value: (c: Constituent) => unknown) => {
    const want = canonicalJson(value(oldest));
    const losers = valid.filter((c) => canonicalJson(value(c)) !== want).map((c) => c.cluster);
    if (losers.length > 0) conflicts.push({ reason, message: `${what} differs in ${losers.join(', ')}; the oldest export (${oldest.cluster}) wins` });
  };
  differs('TypeConflict', 'headlessness', (c) => typeOf(c.service!));
  const ports = mergePorts(valid);
  if (ports.losers.length > 0 || new Set(valid.map((c) => portSet(c.service!))).size > 1) {
    const detail = ports.losers.length > 0 ? `; conflicting definitions of ${ports.losers.join(', ')} are not imported` : '';
    conflicts.push({ reason: 'PortConflict', message: `the exported Services' ports are not identical; the import has their union${detail}` });
  }
  differs('SessionAffinityConflict', 'sessionAffinity', (c) => c.service!.spec.sessionAffinity ?? 'None');
  differs('SessionAffinityConfigConflict', 'sessionAffinityConfig', (c) => c.service!.spec.sessionAffinityConfig ?? null);
  differs('InternalTrafficPolicyConflict', 'internalTrafficPolicy', (c) => c.service!.spec.internalTrafficPolicy ?? null);
  differs('TrafficDistributionConflict', 'trafficDistribution', (c) => c.service!.spec.trafficDistribution ?? null);
  differs('LabelsConflict', 'exportedLabels', (c) => c.serviceExport.spec?.exportedLabels ?? {});
  differs('AnnotationsConflict', 'exportedAnnotations', (c) => c.serviceExport.spec?.exportedAnnotations ?? {});
  differs('ClusterSelectorsConflict', `the ${CLUSTER_SELECTORS} annotation`, (c) => c.serviceExport.metadata.annotations?.[CLUSTER_SELECTORS] ?? null);
  const merged: MergedService = {
    namespace,
    name,
    type: typeOf(svc),
    ports: ports.merged,
    sessionAffinity: svc.spec.sessionAffinity ?? 'None',
    dualStack: valid.some((c) => wantsDualStack(c.service!)),
    exportedLabels: { ...(oldest.serviceExport.spec?.exportedLabels ?? {}) },
    exportedAnnotations: { ...(oldest.serviceExport.spec?.exportedAnnotations ?? {}) },
    constituents: valid,
    conflicts: conflicts.sort((a, b) => CONFLICT_REASONS.indexOf(a.reason) - CONFLICT_REASONS.indexOf(b.reason)),
  };
  if (svc.spec.sessionAffinityConfig !== undefined) merged.sessionAffinityConfig = structuredClone(svc.spec.sessionAffinityConfig);
  if (svc.spec.internalTrafficPolicy !== undefined) merged.internalTrafficPolicy = svc.spec.internalTrafficPolicy;
  if (svc.spec.trafficDistribution !== undefined) merged.trafficDistribution = svc.spec.trafficDistribution;
  const tiers = tiersFromAnnotation(oldest.serviceExport.metadata);
  if (tiers) merged.tiers = tiers;
  return { merged, invalid };
}

/**
 * The union of ports, oldest definition first: a port name belongs to the export that defined
 * it first; a later export that defines the same name differently, or reuses a protocol and
 * number already taken under another name, keeps its own traffic out of that port.
 */
function mergePorts(oldestFirst: readonly Constituent[]): { merged: MergedPort[]; losers: string[] } {
  const byName = new Map<string, MergedPort>();
  const byIdentity = new Map<string, string>();
  const losers = new Set<string>();
  for (const c of oldestFirst) {
    for (const p of (c.service!.spec.ports ?? []).map(mcsPort)) {
      const name = p.name ?? '';
      const identity = `${p.protocol}/${p.port}`;
      const known = byName.get(name);
      if (known) {
        if (portIdentity(known) === portIdentity(p)) {
          if (!known.clusters.includes(c.cluster)) known.clusters.push(c.cluster);
        } else losers.add(`port ${name || '(unnamed)'} in ${c.cluster}`);
        continue;
      }
      const holder = byIdentity.get(identity);
      if (holder !== undefined) {
        losers.add(`port ${name || '(unnamed)'} in ${c.cluster} (${identity} is already ${holder || '(unnamed)'})`);
        continue;
      }
      byName.set(name, { ...p, clusters: [c.cluster] });
      byIdentity.set(identity, name);
    }
  }
  const merged = [...byName.values()].sort((a, b) => cmp(a.name ?? '', b.name ?? ''));
  return { merged, losers: [...losers].sort(cmp) };
}

/** The ports of a cluster's slices that the import lets traffic reach: those whose definition it won. */
export function portsWonBy(merged: MergedService, cluster: string): MergedPort[] {
  return merged.ports.filter((p) => p.clusters.includes(cluster));
}
