// Finds every rule in an `nft list ruleset` dump that can rewrite a source address
// (masquerade or snat), with the table and chain it sits in. iptables-nft rules show up in the
// same dump, so this covers kube-proxy's iptables mode too.
export interface NatRule {
  table: string;
  chain: string;
  rule: string;
}

const SOURCE_NAT = /\b(masquerade|snat)\b/;

export function sourceNatRules(ruleset: string): NatRule[] {
  return rulesOf(ruleset).filter((r) => SOURCE_NAT.test(r.rule.replace(/"[^"]*"/g, '""')));
}

/** Every rule of a dump with its table and chain. */
export function rulesOf(ruleset: string): NatRule[] {
  const found: NatRule[] = [];
  let table = '';
  let chain = '';
  let depth = 0;
  for (const raw of ruleset.split('\n')) {
    const line = raw.trim();
    // Comments may say "masquerade" without doing it.
    const code = line.replace(/"[^"]*"/g, '""');
    if (code.endsWith('{')) {
      depth++;
      const t = /^table (\S+ \S+) \{$/.exec(code);
      if (t) table = t[1]!;
      const c = /^chain (\S+) \{$/.exec(code);
      if (c && depth === 2) chain = c[1]!;
      continue;
    }
    if (code === '}') {
      depth--;
      if (depth < 2) chain = '';
      if (depth === 0) table = '';
      continue;
    }
    if (chain && depth === 2 && code && !/^type .* hook /.test(code)) found.push({ table, chain, rule: line });
  }
  return found;
}

/**
 * kube-proxy's own source NAT: one chain per mode, whose first rule lets through only packets
 * kube-proxy marked for it (traffic to a ClusterIP from outside the pod CIDR, or a pod reaching
 * itself through its Service). Anything else that rewrites sources is a NAT the network added.
 */
export function isKubeProxyMasquerade(r: NatRule): boolean {
  return (/^ip6? kube-proxy$/.test(r.table) && r.chain === 'masquerading') || (/^ip6? nat$/.test(r.table) && r.chain === 'KUBE-POSTROUTING');
}

/**
 * Packets kube-proxy's iptables mode has masqueraded so far: the counter of the rules in
 * KUBE-POSTROUTING past its "not marked: return" rule. Zero after cross-cluster traffic proves
 * kube-proxy translated none of it. (The nftables mode keeps no counters.)
 */
export function iptablesMasqueradedPackets(ruleset: string): number {
  const rules = rulesOf(ruleset).filter((r) => r.table === 'ip nat' && r.chain === 'KUBE-POSTROUTING' && !/\breturn\b/.test(r.rule));
  if (rules.length === 0) throw new Error('no KUBE-POSTROUTING chain in the ip nat table: is kube-proxy running in iptables mode?');
  return Math.max(...rules.map((r) => Number(/counter packets (\d+)/.exec(r.rule)?.[1] ?? 0)));
}
