// What a conflict is: every case where mcsync reports a disagreement instead of replicating
// (or replicates only the oldest export's version). Each kind is decided and worded here, so
// every conflict a plan reports is built in this one place.
import type { Service } from '../vocab/objects.ts';
import { serviceKey, namespaceOf } from '../vocab/keys.ts';
import { cmp, cmpTuple } from './canonical.ts';
import { serviceKind, type ServiceKind } from './service-kind.ts';

/** Every kind of conflict. */
export const CONFLICT_KINDS = [
  'not-owned', //         destination has a Service of that name mcsync does not own (policy skip)
  'port-mismatch', //     several sources export the name with different ports; the oldest wins
  'type-mismatch', //     several sources disagree on headless / ExternalName; the oldest wins
  'missing-namespace', // destination lacks the namespace and createNamespaces is off
] as const;

export type ConflictKind = (typeof CONFLICT_KINDS)[number];

export interface Conflict {
  kind: ConflictKind;
  cluster: string;
  namespace: string;
  name: string;
  message: string;
}

/** One source's export of a Service, as far as telling exports apart needs. */
interface Exported {
  sourceCluster: string;
  service: Service;
}

function describeKind(kind: ServiceKind): string {
  return kind === 'ClusterIP' ? 'a ClusterIP Service' : kind === 'Headless' ? 'a headless Service' : 'an ExternalName Service';
}

function describePorts(svc: Service): string {
  const ports = (svc.spec.ports ?? [])
    .map((p) => `${p.port}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`)
    .sort(cmp);
  return ports.length === 0 ? 'no ports' : ports.join(', ');
}

/**
 * Where younger exports of one Service disagree with the oldest (`oldestFirst[0]`, whose spec
 * the replica in `destination` carries): a different kind, or different ports. Per export, in
 * the order given, kind before ports.
 */
export function exportConflicts(destination: string, oldestFirst: readonly Exported[]): Conflict[] {
  const winner = oldestFirst[0];
  if (!winner) return [];
  const namespace = namespaceOf(winner.service.metadata);
  const name = winner.service.metadata.name;
  const conflicts: Conflict[] = [];
  const oldestWins = (kind: ConflictKind, other: Exported, theirs: string, mine: string) => conflicts.push({
    kind, cluster: destination, namespace, name,
    message: `${other.sourceCluster} exports ${theirs}, ${winner.sourceCluster} ${mine}; ${winner.sourceCluster} has the oldest export and wins`,
  });
  const kind = serviceKind(winner.service);
  const mine = describePorts(winner.service);
  for (const other of oldestFirst.slice(1)) {
    const otherKind = serviceKind(other.service);
    if (otherKind !== kind) oldestWins('type-mismatch', other, describeKind(otherKind), describeKind(kind));
    const theirs = describePorts(other.service);
    if (theirs !== mine) oldestWins('port-mismatch', other, theirs, mine);
  }
  return conflicts;
}

/** `cluster` already has a Service of that name mcsync did not create, and `skippedSources` export it with conflictPolicy skip. */
export function notOwnedConflict(cluster: string, namespace: string, name: string, skippedSources: readonly string[]): Conflict {
  return {
    kind: 'not-owned',
    cluster,
    namespace,
    name,
    message: `${cluster} already has Service ${serviceKey(namespace, name)}, not created by mcsync; not replicating it from ${skippedSources.join(', ')} (conflictPolicy skip)`,
  };
}

/** The replica's namespace does not exist in `cluster` and mcsync may not create it. */
export function missingNamespaceConflict(cluster: string, namespace: string, name: string): Conflict {
  return {
    kind: 'missing-namespace',
    cluster,
    namespace,
    name,
    message: `namespace ${namespace} does not exist in ${cluster} and createNamespaces is off`,
  };
}

/** The order a plan lists conflicts in: by Service, then kind, then wording. */
export function compareConflicts(a: Conflict, b: Conflict): number {
  return cmpTuple([a.namespace, a.name, a.kind, a.message], [b.namespace, b.name, b.kind, b.message]);
}
