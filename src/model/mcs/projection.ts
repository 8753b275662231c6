// What "differs" means for what mcsync writes for a ServiceImport: the fields it controls, as
// the apiserver returns them, so a converged object never looks changed.
import { canonicalJson } from '../canonical.ts';
import { serviceProjection } from '../projection.ts';
import type { Service } from '../../vocab/objects.ts';
import type { Condition, ServiceImport } from '../../vocab/mcs.ts';

export function serviceImportProjection(si: ServiceImport): string {
  return canonicalJson({
    labels: si.metadata.labels ?? {},
    annotations: si.metadata.annotations ?? {},
    spec: {
      ...si.spec,
      ports: si.spec.ports.map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port, appProtocol: p.appProtocol })),
      sessionAffinity: si.spec.sessionAffinity ?? 'None',
      ips: si.spec.ips ?? [],
      ipFamilies: si.spec.ipFamilies ?? [],
    },
  });
}

export function serviceImportStatusProjection(si: ServiceImport): string {
  return canonicalJson({ clusters: si.status?.clusters ?? [], endpointSliceObjects: si.status?.endpointSliceObjects ?? null });
}

/** A derived Service: a replica's fields plus the traffic policies an import carries. */
export function derivedServiceProjection(svc: Service): string {
  return canonicalJson([
    serviceProjection(svc),
    svc.spec.internalTrafficPolicy ?? 'Cluster',
    svc.spec.trafficDistribution ?? null,
  ]);
}

/** Conditions compared without their timestamps: a condition that did not change keeps its own. */
export function conditionsProjection(conditions: readonly Condition[] | undefined): string {
  return canonicalJson((conditions ?? []).map(({ lastTransitionTime: _t, ...c }) => c));
}
