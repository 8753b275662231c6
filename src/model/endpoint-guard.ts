// What a source's EndpointSlices may tell another cluster. Replication lets a source decide where
// a destination's traffic goes, so a compromised or broken source could point it at the
// destination's own apiserver, a node, the cloud metadata service or another cluster's pods.
// Only addresses inside the source's pod ranges pass; everything else is dropped with a reason.
// Pure: the ranges come from the config or the source's Nodes, read elsewhere.
import { CidrIndex, parseCidr, parseIp, type Cidr, type Ip, type IpFamily } from './cidr.ts';
import { DNS_LABEL } from '../vocab/names.ts';
import type { Endpoint, EndpointPort, EndpointSlice } from '../vocab/objects.ts';

/** The API refuses a slice with more endpoints than this; a source that shows one is not a real cluster's. */
export const MAX_SLICE_ENDPOINTS = 1000;
/** An EndpointSlice holds at most 100 ports, so a Service with more cannot be replicated faithfully. */
export const MAX_SERVICE_PORTS = 100;

export type RejectReason =
  | 'outside-pod-cidrs'
  | 'loopback'
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  | 'invalid-address'
  | 'invalid-hostname'
  | 'invalid-port'
  | 'oversized-slice'
  | 'too-many-ports';

export const REJECT_REASONS: readonly RejectReason[] = [
  'outside-pod-cidrs', 'loopback', 'link-local', 'unspecified', 'multicast', 'invalid-address', 'invalid-hostname', 'invalid-port', 'oversized-slice', 'too-many-ports',
];

/** One thing dropped from one exported Service of one source. */
export interface Rejection {
  cluster: string;
  namespace: string;
  name: string;
  reason: RejectReason;
  /** The address, hostname, port or slice name that was dropped. */
  what: string;
  /** How many endpoints (or ports) it stands for: an oversized slice is many at once. */
  count: number;
}

/** A source's pod ranges; undefined: unknown (nothing configured, no Node says), the range check is off. */
export interface PodRanges {
  cidrs: Cidr[];
  index: CidrIndex<null>;
  families: Set<IpFamily>;
}

/**
 * The same list (a config's podCIDRs, or a cluster's Nodes' CIDRs until they change) is parsed
 * once, not on every reconcile of every key it bounds.
 */
const parsedRanges = new WeakMap<readonly string[], PodRanges | undefined>();

export function podRanges(cidrs: readonly string[] | undefined): PodRanges | undefined {
  if (!cidrs) return undefined;
  if (parsedRanges.has(cidrs)) return parsedRanges.get(cidrs);
  const parsed = cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const ranges = parsed.length === 0 ? undefined : { cidrs: parsed, index: new CidrIndex(parsed.map((cidr) => ({ cidr, tag: null }))), families: new Set(parsed.map((c) => c.family)) };
  parsedRanges.set(cidrs, ranges);
  return ranges;
}

const block = (s: string) => parseCidr(s)!;
/** Never a pod's address, whatever range a source claims: no range may make these reachable through a replica. */
const ALWAYS_DROPPED: { cidr: Cidr; reason: RejectReason }[] = [
  { cidr: block('0.0.0.0/8'), reason: 'unspecified' },
  { cidr: block('127.0.0.0/8'), reason: 'loopback' },
  { cidr: block('169.254.0.0/16'), reason: 'link-local' },
  { cidr: block('224.0.0.0/4'), reason: 'multicast' },
  { cidr: block('255.255.255.255/32'), reason: 'multicast' },
  { cidr: block('::/128'), reason: 'unspecified' },
  { cidr: block('::1/128'), reason: 'loopback' },
  { cidr: block('fe80::/10'), reason: 'link-local' },
  { cidr: block('ff00::/8'), reason: 'multicast' },
  // An IPv4-mapped IPv6 address reaches the IPv4 address it maps.
  { cidr: block('::ffff:0:0/96'), reason: 'invalid-address' },
];
const ALWAYS = new CidrIndex(ALWAYS_DROPPED.map((d) => ({ cidr: d.cidr, tag: d.reason })));

/** Why an address may not be replicated, or undefined when it may. */
export function addressVerdict(address: string, family: IpFamily, ranges: PodRanges | undefined): RejectReason | undefined {
  const ip: Ip | undefined = parseIp(address);
  if (!ip || ip.family !== family || address !== address.trim()) return 'invalid-address';
  const bad = ALWAYS.containing(ip)[0];
  if (bad) return bad.tag;
  // Ranges known for the other family only say nothing about this one: the range check is off for it.
  if (!ranges || !ranges.families.has(family)) return undefined;
  return ranges.index.containing(ip).length > 0 ? undefined : 'outside-pod-cidrs';
}

export interface GuardedSlices {
  slices: EndpointSlice[];
  rejected: Omit<Rejection, 'cluster' | 'namespace' | 'name'>[];
  /** Addresses that passed only because no range of their family is known. */
  unchecked: number;
}

/** The slices of one exported Service with everything a destination must not be pointed at removed. */
export function guardSlices(slices: readonly EndpointSlice[], ranges: PodRanges | undefined): GuardedSlices {
  const out: EndpointSlice[] = [];
  const rejected: GuardedSlices['rejected'] = [];
  let unchecked = 0;
  for (const s of slices) {
    const g = guardSlice(s, ranges);
    if (g.slice) out.push(g.slice);
    rejected.push(...g.rejected);
    unchecked += g.unchecked;
  }
  return { slices: out, rejected, unchecked };
}

interface GuardedSlice {
  slice?: EndpointSlice;
  rejected: GuardedSlices['rejected'];
  unchecked: number;
}

/**
 * One slice's verdict, kept per slice object and ranges: a cached slice is replaced, never
 * changed, so under churn only the slices that changed are checked again, address by address.
 */
const verdicts = new WeakMap<EndpointSlice, { ranges: PodRanges | undefined; guarded: GuardedSlice }>();

function guardSlice(s: EndpointSlice, ranges: PodRanges | undefined): GuardedSlice {
  const known = verdicts.get(s);
  if (known && known.ranges === ranges) return known.guarded;
  const guarded = checkSlice(s, ranges);
  verdicts.set(s, { ranges, guarded });
  return guarded;
}

function checkSlice(s: EndpointSlice, ranges: PodRanges | undefined): GuardedSlice {
  const rejected: GuardedSlices['rejected'] = [];
  let unchecked = 0;
  const endpoints = s.endpoints ?? [];
  if (endpoints.length > MAX_SLICE_ENDPOINTS) return { rejected: [{ reason: 'oversized-slice', what: s.metadata.name, count: endpoints.length }], unchecked };
  const family: IpFamily | undefined = s.addressType === 'IPv4' ? 4 : s.addressType === 'IPv6' ? 6 : undefined;
  const kept: Endpoint[] = [];
  for (const e of endpoints) {
    const addresses = family === undefined ? e.addresses : e.addresses.filter((a) => {
      const reason = addressVerdict(a, family, ranges);
      if (reason) rejected.push({ reason, what: a, count: 1 });
      else if (!ranges?.families.has(family)) unchecked++;
      return reason === undefined;
    });
    if (addresses.length === 0) continue;
    let endpoint: Endpoint = addresses.length === e.addresses.length ? e : { ...e, addresses };
    // The address is fine; only the DNS record the hostname would make is not, so the endpoint stays without it.
    if (endpoint.hostname !== undefined && !DNS_LABEL.test(endpoint.hostname)) {
      rejected.push({ reason: 'invalid-hostname', what: endpoint.hostname, count: 1 });
      const { hostname: _dropped, ...rest } = endpoint;
      endpoint = rest;
    }
    kept.push(endpoint);
  }
  const ports = s.ports?.filter((p) => {
    if (validPort(p)) return true;
    rejected.push({ reason: 'invalid-port', what: `${p.name ?? ''}:${String(p.port)}`, count: 1 });
    return false;
  });
  const unchanged = kept.length === endpoints.length && kept.every((e, i) => e === endpoints[i]) && ports?.length === s.ports?.length;
  return { slice: unchanged ? s : { ...s, endpoints: kept, ...(s.ports !== undefined ? { ports: ports ?? null } : {}) }, rejected, unchecked };
}

/** A port without a number means "all ports" to the API; a number must be a real port. */
function validPort(p: EndpointPort): boolean {
  return p.port === undefined || p.port === null || (Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535);
}
