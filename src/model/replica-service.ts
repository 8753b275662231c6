// The replica Service for one namespace/name in one destination: the oldest export's spec made
// selectorless and ClusterIP-or-headless (or ExternalName) with what routing needs of it
// (routing.ts: families, traffic policy and distribution; never externalIPs), its filtered labels and
// annotations, the ownership labels and the list of source clusters. Pure.
import type { Config } from '../config/types.ts';
import { cmp, cmpTuple, sortedRecord } from './canonical.ts';
import { ownershipLabels, SOURCES } from '../vocab/labels.ts';
import { namespaceOf } from '../vocab/keys.ts';
import { copyFiltered } from './copy-filter.ts';
import { exportConflicts, type Conflict } from './conflicts.ts';
import { routingSpec } from './routing.ts';
import { tieredDistribution } from './locality/plan.ts';
import { serviceKind } from './service-kind.ts';
import type { Export } from './types.ts';
import type { Service, ServicePort } from '../vocab/objects.ts';

/** Oldest first: the Multi-Cluster Services API resolves disagreements in favour of the oldest export. */
export function byAge(exports: readonly Export[]): Export[] {
  // A Service without a timestamp has not been seen by an apiserver yet; it is treated as newest.
  const age = (e: Export) => [e.service.metadata.creationTimestamp ?? '\uffff', e.sourceCluster];
  return [...exports].sort((a, b) => cmpTuple(age(a), age(b)));
}

function replicaPorts(ports: readonly ServicePort[] | undefined): ServicePort[] {
  return (ports ?? []).map((p) => {
    const out: ServicePort = { port: p.port, protocol: p.protocol ?? 'TCP' };
    if (p.name !== undefined) out.name = p.name;
    if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
    return out;
  });
}

/** The source clusters a replica Service names in its SOURCES annotation. */
export function sourcesOf(svc: Service): string[] {
  const text = svc.metadata.annotations?.[SOURCES];
  return text ? text.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
}

export interface RenderedService {
  service: Service;
  /** The export whose spec, labels and annotations the replica carries. */
  winner: Export;
  conflicts: Conflict[];
}

/**
 * The replica Service for one namespace/name in `destination`, from every export of that key
 * that targets it. `extraSources` are clusters kept in SOURCES although they have no export
 * now (unavailable sources: their replicas must not look abandoned).
 */
export function renderService(config: Config, destination: string, exports: readonly Export[], extraSources: readonly string[] = []): RenderedService {
  const ordered = byAge(exports);
  const winner = ordered[0];
  if (!winner) throw new Error('renderService needs at least one export');
  const src = winner.service;
  const namespace = namespaceOf(src.metadata);
  const name = src.metadata.name;
  const kind = serviceKind(src);

  const spec: Service['spec'] = {};
  if (kind === 'ExternalName') {
    spec.type = 'ExternalName';
    if (src.spec.externalName !== undefined) spec.externalName = src.spec.externalName;
  } else {
    // NodePort / LoadBalancer would allocate node ports or cloud load balancers in the destination.
    spec.type = 'ClusterIP';
    if (kind === 'Headless') spec.clusterIP = 'None';
    Object.assign(spec, routingSpec(src, kind === 'Headless'));
    // Tiers are carried out with hints, which kube-proxy reads only under a hinted distribution.
    if (winner.clusterSelectors && kind !== 'Headless') spec.trafficDistribution = tieredDistribution(src.spec.trafficDistribution);
  }
  const ports = replicaPorts(src.spec.ports);
  if (ports.length > 0) spec.ports = ports;
  if (src.spec.sessionAffinity !== undefined) spec.sessionAffinity = src.spec.sessionAffinity;
  if (src.spec.sessionAffinityConfig !== undefined) spec.sessionAffinityConfig = structuredClone(src.spec.sessionAffinityConfig);

  const sources = [...new Set([...ordered.map((e) => e.sourceCluster), ...extraSources])].sort(cmp);
  const labels = sortedRecord({
    ...copyFiltered(config.copyLabels, src.metadata.labels),
    ...winner.stampLabels,
    ...ownershipLabels(config.instance),
  });
  const annotations = sortedRecord({
    ...copyFiltered(config.copyAnnotations, src.metadata.annotations),
    ...winner.stampAnnotations,
    [SOURCES]: sources.join(','),
  });

  return {
    service: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels, annotations }, spec },
    winner,
    conflicts: exportConflicts(destination, ordered),
  };
}
