// The IPv6 half of a dual-stack harness cluster: its pod and service ranges, the data-plane
// network's IPv6 link addresses, and pod addresses counted up from a range's start. All of it is
// in fd00::/8 (unique local addresses, RFC 4193): routed nowhere beyond this machine, and only
// ever inside the data plane's namespaces (the root namespace gets no IPv6 address or route).
import { HarnessError } from '../util/errors.ts';

/** Pod and service IPv6 ranges by cluster index, mirroring the IPv4 ones (10.(100+i)/16, 10.(200+i)/16). */
export function clusterCidrs6(index: number): { podCidr6: string; serviceCidr6: string } {
  if (index < 0 || index > 49) throw new HarnessError(`the harness numbers clusters 0..49, not ${index}`);
  // A /112 service range: the apiserver takes at most 20 bits of host part for a service range.
  return { podCidr6: `fd00:10:${(100 + index).toString(16)}::/64`, serviceCidr6: `fd00:20:${(200 + index).toString(16)}::/112` };
}

/** The IPv6 addresses of a cluster's node link to the router (index as for the IPv4 ones). */
export function linkAddresses6(index: number): { router: string; node: string } {
  return { router: `fd00:250:${(index + 1).toString(16)}::1`, node: `fd00:250:${(index + 1).toString(16)}::2` };
}

/** The gateway every pod's default IPv6 route points at: a link-local address on each pod veth's node end. */
export const POD_GATEWAY6 = 'fe80::1';

/** Address number `n` of an IPv6 /64 (or longer) range, n counted from its start. */
export function nthAddress6(cidr: string, n: number): string {
  const [addr, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!addr?.includes(':') || !Number.isInteger(bits) || bits < 64 || bits > 120) throw new HarnessError(`an IPv6 range of /64 to /120 is needed, not ${cidr}`);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** Math.min(32, 128 - bits)) throw new HarnessError(`${cidr} has no address number ${n}`);
  const groups = expand6(addr);
  // The last two groups hold n (ranges here never need more than 32 bits of it).
  const low = groups[6]! * 65536 + groups[7]! + n;
  groups[6] = Math.floor(low / 65536) % 65536;
  groups[7] = low % 65536;
  return compress6(groups);
}

function expand6(addr: string): number[] {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':').map((g) => parseInt(g, 16)) : [];
  const t = tail ? tail.split(':').map((g) => parseInt(g, 16)) : [];
  const zeros = tail === undefined ? [] : new Array<number>(8 - h.length - t.length).fill(0);
  return [...h, ...zeros, ...t];
}

/** The canonical text of an address (RFC 5952): the longest run of two or more zero groups becomes `::`. */
export function compress6(groups: number[]): string {
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
