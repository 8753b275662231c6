// The companion of a user's policy for one remote cluster: the same podSelector and
// policyTypes, and for each rule of the user's policy a rule with the same ports whose peers are
// the matching remote pods as ipBlocks. NetworkPolicies add up, so the companion only ever
// admits what the user's policy describes. A rule with no remote peers is left out (an empty
// `from` would admit everyone), and a companion too big for one object is split into parts.
import { COMPANION_OF, MCS_SOURCE_CLUSTER, ownershipLabels } from '../../vocab/labels.ts';
import type { NetworkPolicy, NetworkPolicyPort, NetworkPolicyRule, Pod } from '../../vocab/objects.ts';
import { namespaceOf } from '../../vocab/keys.ts';
import { effectivePolicyTypes } from '../projection.ts';
import { addressBlocks } from './blocks.ts';
import { companionName, companionOfAnnotation, companionOfLabel } from './names.ts';
import { matchingPods, podAddresses, type RemoteIndex } from './peers.ts';

/**
 * ipBlocks per companion object. An ipBlock peer is about 40 bytes of JSON, so a part stays
 * far below the apiserver's 3 MiB request limit (and etcd's 1.5 MiB value limit).
 */
export const MAX_BLOCKS_PER_COMPANION = 5000;

/** One rule of the user's policy as the remote cluster answers it: its ports, and the blocks of the pods it matches. */
export interface RemoteRule {
  direction: 'ingress' | 'egress';
  ports?: NetworkPolicyPort[];
  blocks: string[];
}

/**
 * The user's rules evaluated against one remote cluster, in the user's order, rules without
 * remote peers left out; and every remote pod some rule matched.
 */
export function remoteRules(policy: NetworkPolicy, index: RemoteIndex): { rules: RemoteRule[]; pods: Set<Pod> } {
  const ns = namespaceOf(policy.metadata);
  const types = effectivePolicyTypes(policy);
  const rules: RemoteRule[] = [];
  const pods = new Set<Pod>();
  const add = (direction: 'ingress' | 'egress', rule: NetworkPolicyRule) => {
    const peers = direction === 'ingress' ? rule.from : rule.to;
    // No peers: the user's rule admits every address already, remote ones included.
    if (!peers || peers.length === 0) return;
    const matched = matchingPods(peers, ns, index);
    const blocks = addressBlocks(matched.flatMap(podAddresses));
    if (blocks.length === 0) return;
    for (const p of matched) pods.add(p);
    rules.push({ direction, ...(rule.ports !== undefined ? { ports: structuredClone(rule.ports) } : {}), blocks });
  };
  if (types.includes('Ingress')) for (const r of policy.spec.ingress ?? []) add('ingress', r);
  if (types.includes('Egress')) for (const r of policy.spec.egress ?? []) add('egress', r);
  return { rules, pods };
}

/**
 * The rules split into parts of at most `max` blocks, in order: a rule that does not fit in
 * what is left of a part continues, with the same ports, in the next. Policies add up, so a
 * rule split over two parts admits exactly what it would admit whole.
 */
export function splitRules(rules: readonly RemoteRule[], max: number = MAX_BLOCKS_PER_COMPANION): RemoteRule[][] {
  const parts: RemoteRule[][] = [];
  let current: RemoteRule[] = [];
  let used = 0;
  for (const rule of rules) {
    let rest = rule.blocks;
    while (rest.length > 0) {
      if (used === max) {
        parts.push(current);
        current = [];
        used = 0;
      }
      const take = rest.slice(0, max - used);
      rest = rest.slice(take.length);
      current.push({ ...rule, blocks: take });
      used += take.length;
    }
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

function specRule(rule: RemoteRule): NetworkPolicyRule {
  const peers = rule.blocks.map((cidr) => ({ ipBlock: { cidr } }));
  const out: NetworkPolicyRule = rule.ports !== undefined ? { ports: structuredClone(rule.ports) } : {};
  if (rule.direction === 'ingress') out.from = peers;
  else out.to = peers;
  return out;
}

/** The companion objects of `policy` for `remote`, parts numbered from 1; none when no rule has remote peers. */
export function renderCompanions(instance: string, policy: NetworkPolicy, remote: string, rules: readonly RemoteRule[], max: number = MAX_BLOCKS_PER_COMPANION): NetworkPolicy[] {
  const ns = namespaceOf(policy.metadata);
  const name = policy.metadata.name;
  return splitRules(rules, max).map((part, i): NetworkPolicy => {
    const ingress = part.filter((r) => r.direction === 'ingress').map(specRule);
    const egress = part.filter((r) => r.direction === 'egress').map(specRule);
    const spec: NetworkPolicy['spec'] = { podSelector: structuredClone(policy.spec.podSelector ?? {}), policyTypes: effectivePolicyTypes(policy) };
    if (ingress.length > 0) spec.ingress = ingress;
    if (egress.length > 0) spec.egress = egress;
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: companionName(name, remote, i + 1),
        namespace: ns,
        labels: { ...ownershipLabels(instance), [COMPANION_OF]: companionOfLabel(name), [MCS_SOURCE_CLUSTER]: remote },
        annotations: { [COMPANION_OF]: companionOfAnnotation(ns, name) },
      },
      spec,
    };
  });
}
