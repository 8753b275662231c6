// A work item of the Service reconciler is one key in one destination, "dest:<cluster>|<key>":
// each destination reconciles its keys on its own, so one that hangs stalls nobody else. The
// item names what a pending propagation waits for; cluster names never contain '|'.
import type { ServiceKey } from '../../vocab/keys.ts';

export type DestinationItem = string;

const PREFIX = 'dest:';

export function destinationItem(cluster: string, key: ServiceKey): DestinationItem {
  return `${PREFIX}${cluster}|${key}`;
}

/** The items a change of `keys` makes in each of `destinations`. */
export function destinationItems(destinations: Iterable<string>, keys: readonly ServiceKey[]): DestinationItem[] {
  const out: DestinationItem[] = [];
  for (const d of destinations) for (const k of keys) out.push(destinationItem(d, k));
  return out;
}
