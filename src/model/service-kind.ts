// The kinds of Service a replica can be. They matter apart from the spec because the apiserver
// refuses to turn one into another in place: the planner deletes and recreates across kinds,
// exports that disagree on it are a conflict, and an ExternalName replica has no slices.
import type { Service } from '../vocab/objects.ts';

/** The distinctions the apiserver refuses to change in place (spec.clusterIP and type ExternalName are immutable that way). */
export type ServiceKind = 'ClusterIP' | 'Headless' | 'ExternalName';

export function serviceKind(svc: Service): ServiceKind {
  if (svc.spec.type === 'ExternalName') return 'ExternalName';
  if (svc.spec.clusterIP === 'None') return 'Headless';
  return 'ClusterIP';
}
