// Removing mcsync from a cluster: every Service and EndpointSlice it owns there, slices first
// so no replica Service is left pointing nowhere for longer than needed. Namespaces it created
// stay: others may have put things in them since.
import { serviceKeyOf, serviceKeyOfSlice, storeKey } from '../vocab/keys.ts';
import { isOwned } from '../vocab/labels.ts';
import { deleteAction } from './actions.ts';
import { cmp } from './canonical.ts';
import type { Action, DestinationSnapshot } from './types.ts';

export function planPrune(snapshot: DestinationSnapshot, instance: string): Action[] {
  const actions: Action[] = [];
  const byName = (a: { metadata: { namespace?: string; name: string } }, b: { metadata: { namespace?: string; name: string } }) =>
    cmp(storeKey(a), storeKey(b));
  for (const s of [...snapshot.ownedSlices].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push(deleteAction(snapshot.cluster, serviceKeyOfSlice(s) ?? serviceKeyOf(s), 'EndpointSlice', s, 'prune'));
  }
  for (const s of [...snapshot.services].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push(deleteAction(snapshot.cluster, serviceKeyOf(s), 'Service', s, 'prune'));
  }
  return actions;
}
