// How replica EndpointSlices are named: "<service>-<8 hex>-<n>", the hash standing for the
// group (source cluster, address type, ports) so each group owns its own run of numbers and a
// slice's name alone says which group it packs.
import { canonicalJson, hash8 } from './canonical.ts';
import { normalizeSlicePorts } from './projection.ts';
import type { EndpointPort } from '../vocab/objects.ts';

/** Room for "-<8 hex>-<number>" within the 253 characters of a DNS subdomain. */
const MAX_SERVICE_PART = 253 - 1 - 8 - 1 - 10;

/** Everything that sets a group apart; hashed into its names. `ports` are normalized. */
export function groupSignature(sourceCluster: string, addressType: string, ports: readonly EndpointPort[]): string {
  return canonicalJson([sourceCluster, addressType, ports]);
}

/** What every slice name of a group starts with, numbers follow. */
export function namePrefix(serviceName: string, hash: string): string {
  const svc = serviceName.slice(0, MAX_SERVICE_PART).replace(/[-.]+$/, '');
  return `${svc}-${hash}-`;
}

/** The name of replica slice `n` of a group; exported so tests can build destination state by hand. */
export function replicaSliceName(serviceName: string, sourceCluster: string, addressType: string, ports: readonly EndpointPort[] | null | undefined, n: number): string {
  return `${namePrefix(serviceName, hash8(groupSignature(sourceCluster, addressType, normalizeSlicePorts(ports))))}${n}`;
}

/** The slice number in `name` after `prefix`, if `name` is one of that group's names at all. */
export function numberAfter(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^[1-9][0-9]{0,9}$/.test(rest) ? Number(rest) : undefined;
}
