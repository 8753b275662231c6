// The packing algorithm: which numbered slice of a group each endpoint goes to, chosen so
// that one pod's change rewrites one slice rather than reshuffling them all.
import { cmp } from './canonical.ts';
import { firstAddress } from './slice-groups.ts';
import type { Endpoint } from '../vocab/objects.ts';

export interface PackedSlice {
  n: number;
  endpoints: Endpoint[];
}

function byFirstAddress(a: Endpoint, b: Endpoint): number {
  return cmp(firstAddress(a) ?? '', firstAddress(b) ?? '');
}

/**
 * Packs endpoints into numbered slices so that one pod's change rewrites one slice: endpoints
 * stay where they are, departed ones leave a gap that the next new endpoint fills, and only
 * then do new endpoints go to the lowest-numbered slice with room or to new slices.
 * `desired` has one endpoint per first address; `isFree(n)` says whether number n may be taken
 * by a new slice. Returns non-empty slices sorted by number, endpoints sorted by first address.
 */
export function packEndpoints(desired: readonly Endpoint[], existing: readonly PackedSlice[], max: number, isFree: (n: number) => boolean = () => true): PackedSlice[] {
  if (!Number.isInteger(max) || max < 1) throw new Error(`maxEndpointsPerSlice must be a positive integer, not ${max}`);
  const want = new Map<string, Endpoint>();
  for (const ep of desired) {
    const first = firstAddress(ep);
    if (first !== undefined && !want.has(first)) want.set(first, ep);
  }
  const placed = new Set<string>();
  const bins = [...existing]
    .sort((a, b) => a.n - b.n)
    .map(({ n, endpoints }) => {
      const kept: Endpoint[] = [];
      let lost = false;
      for (const ep of [...endpoints].sort(byFirstAddress)) {
        const first = firstAddress(ep);
        const now = first === undefined ? undefined : want.get(first);
        if (first === undefined || now === undefined || placed.has(first) || kept.length >= max) {
          lost = true;
          continue;
        }
        kept.push(now);
        placed.add(first);
      }
      return { n, endpoints: kept, lost };
    });
  const fresh = [...want.entries()].filter(([first]) => !placed.has(first)).sort(([a], [b]) => cmp(a, b)).map(([, ep]) => ep);
  let next = 0;
  for (const bin of [...bins.filter((b) => b.lost), ...bins.filter((b) => !b.lost)]) {
    while (bin.endpoints.length < max && next < fresh.length) bin.endpoints.push(fresh[next++]!);
  }
  const taken = new Set(bins.map((b) => b.n));
  let n = 1;
  while (next < fresh.length) {
    while (taken.has(n) || !isFree(n)) n++;
    bins.push({ n, endpoints: fresh.slice(next, next + max), lost: false });
    taken.add(n);
    next += max;
  }
  return bins
    .filter((b) => b.endpoints.length > 0)
    .map((b) => ({ n: b.n, endpoints: [...b.endpoints].sort(byFirstAddress) }))
    .sort((a, b) => a.n - b.n);
}
