// Kubernetes label selector text ("tier=web,env in (prod,stage),!canary"), parsed once when
// the config loads and matched against Service labels when exports are selected.
import { isLabelValue, keyProblem } from './names.ts';

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

export type LabelSelector = Requirement[];

function checkKey(key: string): string {
  if (keyProblem(key) !== undefined) throw new Error(`"${key}" is not a valid label key`);
  return key;
}

function checkValue(value: string): string {
  if (!isLabelValue(value)) throw new Error(`"${value}" is not a valid label value`);
  return value;
}

/** Splits on commas that are not inside a parenthesised value list. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new Error('unbalanced ")"');
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw new Error('unbalanced "("');
  terms.push(current);
  return terms.map((t) => t.trim());
}

function parseTerm(term: string): Requirement {
  if (term === '') throw new Error('empty requirement');
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(set[1]!), op: set[2] as 'in' | 'notin', values };
  }
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (eq) {
    const op = eq[2] === '!=' ? 'notin' : 'in';
    return { key: checkKey(eq[1]!), op, values: [checkValue(eq[3]!)] };
  }
  if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: 'doesnotexist' };
  if (/^\S+$/.test(term)) return { key: checkKey(term), op: 'exists' };
  throw new Error(`cannot parse "${term}"`);
}

/** Throws an Error whose message says what is wrong; never returns a partial selector. */
export function parseLabelSelector(text: string): LabelSelector {
  if (text.trim() === '') return [];
  return splitTerms(text).map(parseTerm);
}

export function matchesLabelSelector(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists': return has;
      case 'doesnotexist': return !has;
      case 'in': return has && r.values.includes(l[r.key]!);
      case 'notin': return !has || !r.values.includes(l[r.key]!);
    }
  });
}
