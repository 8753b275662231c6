// Verdicts on address ranges: each cluster's Node pod CIDRs against the pod IPs it exports,
// and across the fleet, overlaps a NAT-less network cannot route (pods) or does not mind
// (services).
import { CidrIndex, formatCidr, formatIp, ipKey, parseIp, type Cidr, type Ip } from '../../model/cidr.ts';
import type { SourceSnapshot } from '../../model/types.ts';
import { FLEET, type Check, type ClusterFacts } from './types.ts';
import { check, errorOf, some } from './verdict.ts';

interface PodAddress {
  ip: Ip;
  /** namespace/service of the slice it was seen in. */
  where: string;
}

/** Addresses of pods in a source's EndpointSlices; endpoints without a Pod behind them are not pod IPs. */
export function podAddresses(src: SourceSnapshot): PodAddress[] {
  const seen = new Map<string, PodAddress>();
  for (const [key, slices] of src.slices) {
    for (const s of slices) {
      if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
      for (const e of s.endpoints ?? []) {
        if (e.targetRef?.kind !== 'Pod') continue;
        for (const a of e.addresses) {
          const ip = parseIp(a);
          if (ip && !seen.has(ipKey(ip))) seen.set(ipKey(ip), { ip, where: key });
        }
      }
    }
  }
  return [...seen.values()];
}

export interface PodView {
  cluster: string;
  /** undefined: unknown (nodes could not be listed). */
  cidrs?: { node: string; cidr: Cidr }[];
  /** undefined: the cluster's sources could not be read (or it exports nothing). */
  ips?: PodAddress[];
}

export function podCidrCheck(f: ClusterFacts, view: PodView, readError?: string): Check {
  const ips = view.ips ?? [];
  const ipNote = readError ? `; exported pod IPs unknown (${readError})` : `; ${ips.length} pod IP(s) in exported namespaces`;
  const n = f.nodeCidrs!;
  if (!n.ok) {
    const what = n.status === 403 ? 'may not list nodes (403 Forbidden)' : `cannot list nodes (${errorOf(n)})`;
    return check('pod-cidrs', f.cluster, 'warn', `${what}: grant list and watch on nodes (run watches them to bound this cluster's endpoints), or compare pod CIDRs by hand; only exported pod IPs were compared${ipNote}`);
  }
  const cidrs = view.cidrs ?? [];
  if (cidrs.length === 0) {
    return check('pod-cidrs', f.cluster, 'info', `no Node has spec.podCIDR: the CNI allocates pod IPs itself (e.g. Calico, AWS VPC CNI); compare its IP pools across clusters by hand${ipNote}`);
  }
  const index = new CidrIndex(cidrs.map((c) => ({ cidr: c.cidr, tag: c.node })));
  const outside = ips.filter((p) => index.containing(p.ip).length === 0);
  const blocks = [...new Set(cidrs.map((c) => formatCidr(c.cidr)))];
  const nodes = new Set(cidrs.map((c) => c.node)).size;
  const detail = { podCidrs: blocks, podIps: ips.length };
  if (outside.length > 0) {
    return check('pod-cidrs', f.cluster, 'warn',
      `${outside.length} of ${ips.length} exported pod IP(s) lie outside the Nodes' podCIDRs (${some(outside.map((p) => `${formatIp(p.ip)} in ${p.where}`))}): the CNI allocates from its own pools, so compare those across clusters too`,
      { ...detail, outside: outside.map((p) => formatIp(p.ip)) });
  }
  return check('pod-cidrs', f.cluster, 'pass', `${some(blocks)} (${nodes} node(s))${ipNote}${readError ? '' : ', all inside'}`, detail);
}

function unreachableNote(facts: ClusterFacts[]): string {
  const down = facts.filter((f) => !f.reach.ok).map((f) => f.cluster);
  return down.length ? ` (not compared: ${down.join(', ')} unavailable)` : '';
}

export function podOverlapChecks(views: PodView[], facts: ClusterFacts[]): Check[] {
  const note = unreachableNote(facts);
  const withCidrs = views.filter((v) => v.cidrs && v.cidrs.length > 0);
  const indexes = new Map(withCidrs.map((v) => [v.cluster, new CidrIndex(v.cidrs!.map((c) => ({ cidr: c.cidr, tag: c.node })))]));
  const out: Check[] = [];

  // Node pod CIDRs, every pair of clusters once.
  const overlaps: { clusters: [string, string]; cidrs: [string, string] }[] = [];
  const seenPairs = new Set<string>();
  for (let i = 0; i < withCidrs.length; i++) {
    for (let j = i + 1; j < withCidrs.length; j++) {
      const a = withCidrs[i]!;
      const b = withCidrs[j]!;
      for (const c of a.cidrs!) {
        for (const hit of indexes.get(b.cluster)!.overlapping(c.cidr)) {
          const pair: [string, string] = [formatCidr(c.cidr), formatCidr(hit.cidr)];
          const key = `${a.cluster} ${pair[0]} ${b.cluster} ${pair[1]}`;
          if (seenPairs.has(key)) continue;
          seenPairs.add(key);
          overlaps.push({ clusters: [a.cluster, b.cluster], cidrs: pair });
        }
      }
    }
  }
  if (overlaps.length > 0) {
    out.push(check('pod-cidr-overlap', FLEET, 'fail',
      `Node pod CIDRs overlap: ${some(overlaps.map((o) => `${o.clusters[0]} ${o.cidrs[0]} and ${o.clusters[1]} ${o.cidrs[1]}`), '; ')}: give every cluster its own pod range (a NAT-less network routes each pod IP to one cluster)`,
      { overlaps }));
  } else if (withCidrs.length < 2) {
    out.push(check('pod-cidr-overlap', FLEET, 'info', `fewer than two clusters have Node pod CIDRs to compare (${withCidrs.map((v) => v.cluster).join(', ') || 'none'})${note}`));
  } else {
    out.push(check('pod-cidr-overlap', FLEET, 'pass', `no two clusters' Node pod CIDRs overlap (${withCidrs.map((v) => v.cluster).join(', ')})${note}`));
  }

  // Pod IPs actually in use: inside another cluster's range, or in use in two clusters at once.
  const findings: { ip: string; clusters: string[]; message: string }[] = [];
  const owners = new Map<string, { cluster: string; where: string; ip: Ip }[]>();
  for (const v of views) {
    for (const p of v.ips ?? []) {
      const k = ipKey(p.ip);
      owners.set(k, [...(owners.get(k) ?? []), { cluster: v.cluster, where: p.where, ip: p.ip }]);
      for (const [other, index] of indexes) {
        if (other === v.cluster) continue;
        const hit = index.containing(p.ip)[0];
        if (hit) findings.push({ ip: formatIp(p.ip), clusters: [v.cluster, other], message: `${formatIp(p.ip)} (a pod of ${v.cluster} in ${p.where}) lies in ${other}'s pod CIDR ${formatCidr(hit.cidr)}` });
      }
    }
  }
  for (const list of owners.values()) {
    if (list.length < 2) continue;
    findings.push({ ip: formatIp(list[0]!.ip), clusters: list.map((o) => o.cluster), message: `${formatIp(list[0]!.ip)} is a pod IP in ${list.map((o) => `${o.cluster} (${o.where})`).join(' and ')}` });
  }
  const total = views.reduce((n, v) => n + (v.ips?.length ?? 0), 0);
  if (findings.length > 0) {
    out.push(check('pod-ip-overlap', FLEET, 'fail',
      `${some(findings.map((f) => f.message), '; ')}: a pod IP must belong to one cluster only; give the clusters disjoint pod ranges`,
      { conflicts: findings.map(({ ip, clusters }) => ({ ip, clusters })) }));
  } else if (total === 0) {
    out.push(check('pod-ip-overlap', FLEET, 'info', `no pod IPs in exported namespaces yet: nothing to compare${note}`));
  } else {
    out.push(check('pod-ip-overlap', FLEET, 'pass', `none of ${total} exported pod IP(s) lies in another cluster's pod CIDRs or is in use in two clusters${note}`));
  }
  return out;
}

export function serviceCidrCheck(f: ClusterFacts): Check {
  const o = f.kubernetesIp!;
  if (!o.ok) return check('service-cidr', f.cluster, 'info', `cannot read default/kubernetes (${errorOf(o)}); only informative`);
  return check('service-cidr', f.cluster, 'info', `default/kubernetes has ClusterIP ${o.value}, usually the first address of the service CIDR`, { kubernetesClusterIp: o.value });
}

export function serviceCidrOverlap(facts: ClusterFacts[]): Check {
  const byIp = new Map<string, { ip: string; clusters: string[] }>();
  for (const f of facts) {
    const o = f.kubernetesIp;
    if (!o?.ok || o.value === '') continue;
    const ip = parseIp(o.value);
    const key = ip ? ipKey(ip) : o.value;
    const entry = byIp.get(key) ?? { ip: o.value, clusters: [] };
    entry.clusters.push(f.cluster);
    byIp.set(key, entry);
  }
  const shared = [...byIp.values()].filter((e) => e.clusters.length > 1);
  if (shared.length > 0) {
    return check('service-cidr-overlap', FLEET, 'info',
      `${some(shared.map((e) => `${e.clusters.join(' and ')} share ${e.ip}`), '; ')} for default/kubernetes, so their service CIDRs overlap; that is fine: replicas get ClusterIPs from their own cluster`,
      { shared });
  }
  return check('service-cidr-overlap', FLEET, 'info', 'default/kubernetes ClusterIPs differ across clusters; overlapping service CIDRs would be fine anyway: replicas get ClusterIPs from their own cluster');
}
