// LabelSelector objects (matchLabels + matchExpressions) as NetworkPolicy peers carry them,
// with Kubernetes' semantics: `{}` matches everything, every term must hold. A selector the
// apiserver would refuse is a problem, never guessed at.
import { isLabelValue, keyProblem } from '../../vocab/names.ts';
import type { LabelSelectorObject } from '../../vocab/objects.ts';

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** What is wrong with a selector, or undefined when it is valid. */
export function selectorProblem(sel: LabelSelectorObject): string | undefined {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const kp = keyProblem(k);
    if (kp) return `matchLabels key "${k}" ${kp}`;
    if (typeof v !== 'string' || !isLabelValue(v)) return `matchLabels value "${String(v)}" of "${k}" is not a valid label value`;
  }
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const where = `matchExpressions[${i}]`;
    if (typeof e?.key !== 'string') return `${where} has no key`;
    const kp = keyProblem(e.key);
    if (kp) return `${where} key "${e.key}" ${kp}`;
    if (!OPERATORS.has(e.operator)) return `${where} operator "${String(e.operator)}" is not one of In, NotIn, Exists, DoesNotExist`;
    const values = e.values ?? [];
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) return `${where} operator ${e.operator} needs values`;
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) return `${where} operator ${e.operator} takes no values`;
    const bad = values.find((v) => typeof v !== 'string' || !isLabelValue(v));
    if (bad !== undefined) return `${where} value "${String(bad)}" is not a valid label value`;
  }
  return undefined;
}

/** Whether labels satisfy a valid selector (check selectorProblem first). */
export function selectorMatches(sel: LabelSelectorObject, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (!Object.hasOwn(l, k) || l[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(l, e.key);
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(l[e.key]!);
      case 'NotIn': return !has || !(e.values ?? []).includes(l[e.key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
    }
  });
}
