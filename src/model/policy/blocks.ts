// Pod addresses as ipBlock CIDRs. Addresses are merged into a wider block only when every
// address of that block is one of them (an exact cover), so a companion never admits an
// address that is not a matching pod's: a /31 needs both of its addresses, a /24 all 256.
import { formatCidr, ipKey, parseIp, type Ip, type IpFamily } from '../cidr.ts';

const WIDTH: Record<IpFamily, number> = { 4: 32, 6: 128 };

/** The largest aligned block starting at `start` that ends at or before `end`, as prefix bits. */
function largestBlock(family: IpFamily, start: bigint, end: bigint): number {
  let bits = WIDTH[family];
  while (bits > 0) {
    const size = 1n << BigInt(WIDTH[family] - bits + 1);
    if (start % size !== 0n || start + size - 1n > end) break;
    bits--;
  }
  return bits;
}

/** The exact CIDR cover of one family's sorted, distinct values: runs split into aligned blocks. */
function cover(family: IpFamily, values: bigint[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < values.length) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1n) j++;
    let start = values[i]!;
    const end = values[j]!;
    while (start <= end) {
      const bits = largestBlock(family, start, end);
      out.push(formatCidr({ family, base: start, bits }));
      start += 1n << BigInt(WIDTH[family] - bits);
    }
    i = j + 1;
  }
  return out;
}

/**
 * The ipBlock CIDRs admitting exactly these addresses: IPv4 blocks first, then IPv6, each in
 * address order; duplicates (however written) once; text that is not an address is dropped.
 */
export function addressBlocks(addresses: Iterable<string>): string[] {
  const byKey = new Map<string, Ip>();
  for (const a of addresses) {
    const ip = parseIp(a);
    if (ip) byKey.set(ipKey(ip), ip);
  }
  const ips = [...byKey.values()];
  const values = (family: IpFamily) => ips.filter((ip) => ip.family === family).map((ip) => ip.value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...cover(4, values(4)), ...cover(6, values(6))];
}
