// Removing mcsync from a cluster: every object it owns there: replica and import slices first,
// so no Service is left pointing nowhere for longer than needed, then replica and derived
// Services, ServiceImports and companion NetworkPolicies. Namespaces it created stay: others may
// have put things in them since.
import { serviceKeyOf, serviceKeyOfSlice, storeKey } from '../vocab/keys.ts';
import { isOwned } from '../vocab/labels.ts';
import { deleteAction } from './actions.ts';
import { cmp } from './canonical.ts';
import type { Action, DestinationSnapshot } from './types.ts';
import type { NetworkPolicy } from '../vocab/objects.ts';
import type { ServiceImport } from '../vocab/mcs.ts';

/** What a cluster holds beside replicas that mcsync may have written: read when the API is served. */
export interface PruneExtras {
  imports?: readonly ServiceImport[];
  policies?: readonly NetworkPolicy[];
}

export function planPrune(snapshot: DestinationSnapshot, instance: string, extras: PruneExtras = {}): Action[] {
  const actions: Action[] = [];
  const byName = (a: { metadata: { namespace?: string; name: string } }, b: { metadata: { namespace?: string; name: string } }) =>
    cmp(storeKey(a), storeKey(b));
  for (const s of [...snapshot.ownedSlices].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push(deleteAction(snapshot.cluster, serviceKeyOfSlice(s) ?? serviceKeyOf(s), 'EndpointSlice', s, 'prune'));
  }
  for (const s of [...snapshot.services].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push(deleteAction(snapshot.cluster, serviceKeyOf(s), 'Service', s, 'prune'));
  }
  for (const i of [...(extras.imports ?? [])].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push(deleteAction(snapshot.cluster, serviceKeyOf(i), 'ServiceImport', i, 'prune'));
  }
  for (const p of [...(extras.policies ?? [])].filter((x) => isOwned(x.metadata, instance)).sort(byName)) {
    actions.push(deleteAction(snapshot.cluster, serviceKeyOf(p), 'NetworkPolicy', p, 'prune'));
  }
  return actions;
}
