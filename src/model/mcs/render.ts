// What one cluster should hold for a merged multi-cluster service: the ServiceImport, the
// derived Service that carries its clusterset IP (named so it can never be a user's Service),
// and that Service's slices, one group per source cluster with only the ports that cluster's
// export won. Pure.
import { createHash } from 'node:crypto';
import type { Config } from '../../config/types.ts';
import { cmp, sortedRecord } from '../canonical.ts';
import { clusterId } from '../cluster-id.ts';
import { renderSlices } from '../replica-slices.ts';
import type { Export } from '../types.ts';
import { MCS_IMPORT, MCS_SERVICE_NAME, ownershipLabels } from '../../vocab/labels.ts';
import { DERIVED_SERVICE, MCS_API_VERSION, type ServiceImport } from '../../vocab/mcs.ts';
import type { Endpoint, EndpointPort, EndpointSlice, Service } from '../../vocab/objects.ts';
import { tieredDistribution } from '../locality/plan.ts';
import { portsWonBy, type MergedService } from './merge.ts';

/**
 * The KEP's `derived-<hash>` convention: a DNS label no user picks by accident, stable for the
 * import's name (the namespace is implied: it lives next to the import).
 */
export function derivedServiceName(importName: string): string {
  return `derived-${createHash('sha256').update(importName).digest('hex').slice(0, 16)}`;
}

function importLabels(config: Config, name: string): Record<string, string> {
  return { [MCS_IMPORT]: name, [MCS_SERVICE_NAME]: name, ...ownershipLabels(config.instance) };
}

/** The derived Service: selectorless, headless when the import is, ports as the import has them. */
export function renderDerivedService(config: Config, merged: MergedService): Service {
  const spec: Service['spec'] = {
    type: 'ClusterIP',
    ports: merged.ports.map((p) => {
      const out: NonNullable<Service['spec']['ports']>[number] = { protocol: p.protocol, port: p.port };
      if (p.name) out.name = p.name;
      if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
      return out;
    }),
    sessionAffinity: merged.sessionAffinity,
  };
  if (merged.type === 'Headless') spec.clusterIP = 'None';
  if (merged.sessionAffinityConfig !== undefined && merged.sessionAffinity === 'ClientIP') spec.sessionAffinityConfig = structuredClone(merged.sessionAffinityConfig);
  if (merged.internalTrafficPolicy !== undefined) spec.internalTrafficPolicy = merged.internalTrafficPolicy;
  if (merged.trafficDistribution !== undefined) spec.trafficDistribution = merged.trafficDistribution;
  // Tiers are carried out with hints, which kube-proxy reads only under a hinted distribution.
  if (merged.tiers && 'selectors' in merged.tiers && merged.type !== 'Headless') spec.trafficDistribution = tieredDistribution(merged.trafficDistribution);
  // A single-stack cluster gives one family and a dual-stack one both: PreferDualStack fits either
  // (routing.ts). A headless selectorless Service gets every family without asking.
  if (merged.dualStack && merged.type !== 'Headless') spec.ipFamilyPolicy = 'PreferDualStack';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: derivedServiceName(merged.name), namespace: merged.namespace, labels: sortedRecord(importLabels(config, merged.name)) },
    spec,
  };
}

/**
 * The families of a headless import: those of the exported Services (the oldest's first), whose
 * endpoints are what it serves. Not the derived Service's: the apiserver gives a selectorless
 * headless Service that prefers dual-stack both families even in a single-stack cluster, which
 * would announce IPv6 endpoints no exporting cluster has.
 */
function exportedFamilies(merged: MergedService): string[] {
  const out: string[] = [];
  for (const c of merged.constituents) for (const f of c.service?.spec.ipFamilies ?? []) if (!out.includes(f)) out.push(f);
  return out;
}

/**
 * The ServiceImport. Its IPs and families are the derived Service's in this cluster, once the
 * apiserver has allocated them (`derived` as read back); until then it has none. A headless
 * import has no IPs, and its families are those of the exported Services.
 */
export function renderServiceImport(config: Config, merged: MergedService, derived: Service | undefined, clusters: readonly string[]): ServiceImport {
  const labels = sortedRecord({ ...merged.exportedLabels, ...importLabels(config, merged.name) });
  const annotations = sortedRecord({ ...merged.exportedAnnotations, [DERIVED_SERVICE]: derivedServiceName(merged.name) });
  const spec: ServiceImport['spec'] = {
    type: merged.type,
    ports: merged.ports.map(({ clusters: _c, ...p }) => p),
    sessionAffinity: merged.sessionAffinity,
  };
  if (merged.sessionAffinityConfig !== undefined && merged.sessionAffinity === 'ClientIP') spec.sessionAffinityConfig = structuredClone(merged.sessionAffinityConfig);
  if (merged.internalTrafficPolicy !== undefined) spec.internalTrafficPolicy = merged.internalTrafficPolicy;
  if (merged.trafficDistribution !== undefined) spec.trafficDistribution = merged.trafficDistribution;
  const exported = merged.type === 'Headless' ? exportedFamilies(merged) : [];
  const families = exported.length > 0 ? exported : derived?.spec.ipFamilies ?? [];
  if (families.length > 0) spec.ipFamilies = [...families];
  if (merged.type === 'ClusterSetIP') {
    const ips = (derived?.spec.clusterIPs ?? (derived?.spec.clusterIP ? [derived.spec.clusterIP] : [])).filter((ip) => ip !== 'None' && ip !== '');
    // ips[i] must be of ipFamilies[i]: the Service's clusterIPs are in the order of its ipFamilies.
    if (ips.length > 0 && ips.length === families.length) spec.ips = ips;
  }
  return {
    apiVersion: MCS_API_VERSION,
    kind: 'ServiceImport',
    metadata: { name: merged.name, namespace: merged.namespace, labels, annotations },
    spec,
    // endpointSliceObjects: mcsync always carries an import's endpoints as EndpointSlices (the
    // field the shipped CRDs have since mcs-api v0.5.2 says so to consumers).
    // The KEP's status lists clusters by id (model/cluster-id.ts).
    status: { clusters: [...clusters].map((c) => clusterId(config, c)).sort(cmp).map((cluster) => ({ cluster })), endpointSliceObjects: 'Present' },
  };
}

const slicePortMatches = (sp: EndpointPort, p: { name?: string; protocol: string }) => (sp.name ?? '') === (p.name ?? '') && (sp.protocol ?? 'TCP') === p.protocol;

/** A source cluster's slices with only the ports its export won; a slice left with no port is dropped. */
export function filterSlicePorts(merged: MergedService, cluster: string, slices: readonly EndpointSlice[]): EndpointSlice[] {
  const won = portsWonBy(merged, cluster);
  const out: EndpointSlice[] = [];
  for (const s of slices) {
    const ports = s.ports ?? [];
    if (ports.length === 0) {
      // A slice without ports serves a Service without ports; if the import has ports, it has none of them.
      if (merged.ports.length === 0) out.push(s);
      continue;
    }
    const kept = ports.filter((sp) => won.some((p) => slicePortMatches(sp, p)));
    if (kept.length === 0) continue;
    out.push(kept.length === ports.length ? s : { ...s, ports: kept });
  }
  return out;
}

export interface RenderImportSlicesOptions {
  /** Source clusters whose slices stay exactly as they are (unavailable). */
  skipSources?: ReadonlySet<string>;
  maxEndpointsPerSlice?: number;
  /** The locality tier's hint of each endpoint (model/locality/plan.ts). */
  hintOf?: (sourceCluster: string, ep: Endpoint) => string[];
}

/** The derived Service's slices in one cluster, packed against what is there (`existing`: every slice of the namespace). */
export function renderImportSlices(config: Config, merged: MergedService, existing: readonly EndpointSlice[], opts: RenderImportSlicesOptions = {}): EndpointSlice[] {
  const exports: Export[] = merged.constituents.map((c) => ({
    sourceCluster: c.cluster,
    service: c.service!,
    slices: filterSlicePorts(merged, c.cluster, c.slices),
    destinations: [],
    conflictPolicy: 'merge',
    stampLabels: {},
    stampAnnotations: {},
  }));
  return renderSlices(config, merged.namespace, derivedServiceName(merged.name), exports, existing, {
    skipSources: opts.skipSources,
    maxEndpointsPerSlice: opts.maxEndpointsPerSlice,
    mcsServiceName: merged.name,
    extraLabels: { [MCS_IMPORT]: merged.name },
    trafficDistribution: merged.trafficDistribution,
    ...(opts.hintOf ? { hintOf: opts.hintOf } : {}),
  });
}
