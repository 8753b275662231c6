// The IPv6 half of a dual-stack harness cluster: its pod and service ranges, the data-plane
// network's IPv6 link addresses, and pod addresses counted up from a range's start. All of it is
// in fd00::/8 (unique local addresses, RFC 4193): routed nowhere beyond this machine, and only
// ever inside the data plane's namespaces (the root namespace gets no IPv6 address or route).
import { HarnessError } from '../util/errors.ts';
import { formatIp, parseCidr, parseIp } from '../../../src/vocab/cidr.ts';

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
  const range = parseCidr(cidr);
  if (!range || range.family !== 6 || range.bits < 64 || range.bits > 120) throw new HarnessError(`an IPv6 range of /64 to /120 is needed, not ${cidr}`);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** Math.min(32, 128 - range.bits)) throw new HarnessError(`${cidr} has no address number ${n}`);
  return formatIp({ family: 6, value: range.base + BigInt(n) });
}

/** The canonical text (RFC 5952) of an IPv6 address written in full or in any shorter form. */
export function canonical6(text: string): string {
  const ip = parseIp(text);
  if (!ip || ip.family !== 6) throw new HarnessError(`not an IPv6 address: ${text}`);
  return formatIp(ip);
}
