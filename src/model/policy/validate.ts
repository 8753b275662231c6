// Bad input in a user's policy that would make a companion mean something it does not: a
// selector that does not parse. Found before anything is rendered, so nothing is written.
import type { NetworkPolicy, NetworkPolicyRule } from '../../vocab/objects.ts';
import { selectorProblem } from './selector.ts';

function ruleProblem(rule: NetworkPolicyRule, where: string, peersField: 'from' | 'to'): string | undefined {
  for (const [j, peer] of (rule[peersField] ?? []).entries()) {
    for (const field of ['podSelector', 'namespaceSelector'] as const) {
      const sel = peer?.[field];
      if (sel === undefined) continue;
      const p = selectorProblem(sel);
      if (p) return `${where}.${peersField}[${j}].${field}: ${p}`;
    }
  }
  return undefined;
}

/** The first selector of the policy that does not parse, said with its path; undefined when all do. */
export function policyProblem(policy: NetworkPolicy): string | undefined {
  const own = selectorProblem(policy.spec?.podSelector ?? {});
  if (own) return `spec.podSelector: ${own}`;
  for (const [i, rule] of (policy.spec?.ingress ?? []).entries()) {
    const p = ruleProblem(rule, `spec.ingress[${i}]`, 'from');
    if (p) return p;
  }
  for (const [i, rule] of (policy.spec?.egress ?? []).entries()) {
    const p = ruleProblem(rule, `spec.egress[${i}]`, 'to');
    if (p) return p;
  }
  return undefined;
}
