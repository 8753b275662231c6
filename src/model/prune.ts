// Removing mcsync from a cluster: every Service and EndpointSlice it owns there, slices first
// so no replica Service is left pointing nowhere for longer than needed. Namespaces it created
// stay: others may have put things in them since.
import { isOwned } from './labels.ts';
import type { Action, DestinationSnapshot } from './types.ts';

export function planPrune(snapshot: DestinationSnapshot, instance: string): Action[] {
  const actions: Action[] = [];
  const byName = (a: { metadata: { namespace?: string; name: string } }, b: { metadata: { namespace?: string; name: string } }) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);
  for (const s of [...snapshot.ownedSlices].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push({ verb: 'delete', cluster: snapshot.cluster, reason: 'prune', ref: { kind: 'EndpointSlice', namespace: s.metadata.namespace, name: s.metadata.name, uid: s.metadata.uid, resourceVersion: s.metadata.resourceVersion } });
  }
  for (const s of [...snapshot.services].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push({ verb: 'delete', cluster: snapshot.cluster, reason: 'prune', ref: { kind: 'Service', namespace: s.metadata.namespace, name: s.metadata.name, uid: s.metadata.uid, resourceVersion: s.metadata.resourceVersion } });
  }
  return actions;
}
