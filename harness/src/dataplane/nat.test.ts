import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iptablesMasqueradedPackets, isKubeProxyMasquerade, sourceNatRules } from './nat.ts';

const NFTABLES_MODE = `table ip kube-proxy {
	comment "rules for kube-proxy"
	set cluster-ips {
		type ipv4_addr
		elements = { 10.200.0.1,
			     10.200.0.10 }
	}
	chain mark-for-masquerade {
		ip daddr @cluster-ips ip saddr != 10.100.0.0/16 meta mark set meta mark | 0x00004000 comment "masquerade clusterIP traffic from outside cluster"
	}
	chain masquerading {
		meta mark & 0x00004000 != 0x00000000 meta mark set meta mark ^ 0x00004000 masquerade fully-random
	}
}
table ip fw {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" snat to 10.250.1.2
	}
}
`;

test('finds source NAT rules with their table and chain, ignoring comments and sets', () => {
  const rules = sourceNatRules(NFTABLES_MODE);
  assert.deepEqual(rules.map((r) => [r.table, r.chain]), [['ip kube-proxy', 'masquerading'], ['ip fw', 'post']]);
});

test("only kube-proxy's mark-gated chain counts as kube-proxy's own", () => {
  const [kubeProxy, other] = sourceNatRules(NFTABLES_MODE);
  assert.equal(isKubeProxyMasquerade(kubeProxy!), true);
  assert.equal(isKubeProxyMasquerade(other!), false);
  assert.equal(isKubeProxyMasquerade({ table: 'ip nat', chain: 'KUBE-POSTROUTING', rule: 'masquerade' }), true);
  assert.equal(isKubeProxyMasquerade({ table: 'ip nat', chain: 'POSTROUTING', rule: 'masquerade' }), false);
});

test('an empty ruleset has no NAT', () => {
  assert.deepEqual(sourceNatRules(''), []);
});

const IPTABLES_MODE = (masqueraded: number) => `table ip nat {
	chain KUBE-POSTROUTING {
		meta mark & 0x00004000 != 0x00004000 counter packets 31 bytes 1860 return
		counter packets ${masqueraded} bytes 0 meta mark set mark xor 0x4000
		 counter packets ${masqueraded} bytes 0 masquerade fully-random
	}

	chain POSTROUTING {
		type nat hook postrouting priority srcnat; policy accept;
		 counter packets 31 bytes 1860 jump KUBE-POSTROUTING
	}
}
`;

test("iptables mode: the masquerade counter is read past the chain's return rule", () => {
  assert.equal(iptablesMasqueradedPackets(IPTABLES_MODE(0)), 0);
  assert.equal(iptablesMasqueradedPackets(IPTABLES_MODE(3)), 3);
  assert.throws(() => iptablesMasqueradedPackets(NFTABLES_MODE), /KUBE-POSTROUTING/);
});
