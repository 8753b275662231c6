// IPv4 and IPv6 addresses and CIDR blocks as BigInts, for the doctor's pod CIDR overlap checks.
// A flat, NAT-less network routes every pod IP to exactly one cluster, so two clusters
// allocating from overlapping ranges is the one misconfiguration replication cannot survive.

export type IpFamily = 4 | 6;

export interface Ip {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** The network address: host bits are cleared, so 10.1.2.3/16 and 10.1.0.0/16 are the same block. */
  base: bigint;
  bits: number;
}

const WIDTH: Record<IpFamily, number> = { 4: 32, 6: 128 };

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are refused: some parsers read them as octal, so "010" is ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIpv6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined; // a zone names an interface of one host, never a pod address
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (text: string): bigint[] | undefined => {
    if (text === '') return [];
    const out: bigint[] = [];
    const items = text.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(BigInt(`0x${g}`));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let v = 0n;
  for (const g of [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail]) v = (v << 16n) | g;
  return v;
}

export function parseIp(s: string): Ip | undefined {
  const text = s.trim();
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bitsText = s.slice(slash + 1).trim();
  if (!ip || !/^[0-9]{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > WIDTH[ip.family]) return undefined;
  return { family: ip.family, base: ip.value & mask(ip.family, bits), bits };
}

function mask(family: IpFamily, bits: number): bigint {
  const width = BigInt(WIDTH[family]);
  const all = (1n << width) - 1n;
  return all ^ ((1n << (width - BigInt(bits))) - 1n);
}

/** The last address of the block. */
function last(c: Cidr): bigint {
  return c.base | ((1n << BigInt(WIDTH[c.family] - c.bits)) - 1n);
}

export function contains(c: Cidr, ip: Ip): boolean {
  return c.family === ip.family && (ip.value & mask(c.family, c.bits)) === c.base;
}

/** Two CIDR blocks overlap exactly when the shorter prefix contains the other's network address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const outer = a.bits <= b.bits ? a : b;
  const inner = outer === a ? b : a;
  return (inner.base & mask(outer.family, outer.bits)) === outer.base;
}

export function formatIp(ip: Ip): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 1;
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

export function formatCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.base })}/${c.bits}`;
}

/** A stable key for an address however it was written (fd00::1 and fd00:0::1 are one address). */
export function ipKey(ip: Ip): string {
  return `${ip.family}:${ip.value.toString(16)}`;
}

/**
 * Many CIDR blocks (a cluster's Node podCIDRs: thousands of /24s on a large cluster) indexed so
 * that "which of them contain this address" and "which of them overlap this block" cost a few
 * map lookups and a binary search instead of a scan.
 */
export class CidrIndex<T> {
  private readonly byPrefix = new Map<string, { cidr: Cidr; tag: T }[]>();
  private readonly prefixLengths: Record<IpFamily, number[]>;
  private readonly sorted: { cidr: Cidr; tag: T }[];

  constructor(entries: { cidr: Cidr; tag: T }[]) {
    const lengths: Record<IpFamily, Set<number>> = { 4: new Set(), 6: new Set() };
    for (const e of entries) {
      const key = prefixKey(e.cidr.family, e.cidr.bits, e.cidr.base);
      const list = this.byPrefix.get(key);
      if (list) list.push(e);
      else this.byPrefix.set(key, [e]);
      lengths[e.cidr.family].add(e.cidr.bits);
    }
    this.prefixLengths = { 4: [...lengths[4]].sort((a, b) => a - b), 6: [...lengths[6]].sort((a, b) => a - b) };
    this.sorted = [...entries].sort((a, b) => a.cidr.family - b.cidr.family || (a.cidr.base < b.cidr.base ? -1 : a.cidr.base > b.cidr.base ? 1 : 0));
  }

  /** Entries whose block contains `ip`. */
  containing(ip: Ip): { cidr: Cidr; tag: T }[] {
    const out: { cidr: Cidr; tag: T }[] = [];
    for (const bits of this.prefixLengths[ip.family]) {
      out.push(...(this.byPrefix.get(prefixKey(ip.family, bits, ip.value & mask(ip.family, bits))) ?? []));
    }
    return out;
  }

  /** Entries whose block overlaps `c`: those containing it, and those inside it. */
  overlapping(c: Cidr): { cidr: Cidr; tag: T }[] {
    const out = this.containing({ family: c.family, value: c.base }).filter((e) => e.cidr.bits <= c.bits);
    const end = last(c);
    // Blocks inside c start within it; the sorted list finds the first such start by bisection.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.sorted[mid]!.cidr;
      if (m.family < c.family || (m.family === c.family && m.base < c.base)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.sorted.length; i++) {
      const e = this.sorted[i]!;
      if (e.cidr.family !== c.family || e.cidr.base > end) break;
      if (e.cidr.bits > c.bits) out.push(e);
    }
    return out;
  }
}

function prefixKey(family: IpFamily, bits: number, base: bigint): string {
  return `${family}/${bits}/${base.toString(16)}`;
}
