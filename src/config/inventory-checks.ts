// Checks of the inventory block the schema cannot express: label selectors parse, and each
// rule's services, exportTo and replica metadata follow the rules of a file cluster's.
import type { Add, Path } from './positions.ts';
import { isRecord, records } from './raw.ts';
import { parseLabelSelector } from '../vocab/selector.ts';

export function checkInventory(inv: unknown, checkRule: (rule: Record<string, unknown>, base: Path) => void, add: Add): void {
  if (!isRecord(inv)) return;
  checkSelector(inv['labelSelector'], ['inventory', 'labelSelector'], add);
  for (const [rule, k] of records(inv['rules'])) {
    const base: Path = ['inventory', 'rules', k];
    const match = rule['match'];
    if (isRecord(match)) checkSelector(match['labelSelector'], [...base, 'match', 'labelSelector'], add);
    checkRule(rule, base);
  }
}

function checkSelector(text: unknown, path: Path, add: Add): void {
  if (typeof text !== 'string' || text === '') return;
  try {
    parseLabelSelector(text);
  } catch (err) {
    add(path, `invalid label selector ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}
