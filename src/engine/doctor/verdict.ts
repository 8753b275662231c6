// Small helpers every verdict uses, so all checks read alike: one line, the first few of a list.
import type { Check, CheckResult } from './types.ts';

const SHOWN = 3;

export const check = (name: string, scope: string, result: CheckResult, message: string, detail?: unknown): Check =>
  detail === undefined ? { name, scope, result, message } : { name, scope, result, message, detail };

/** The first few of a list, then how many more: messages stay one line on a large fleet. */
export function some(items: string[], sep = ', '): string {
  const shown = items.slice(0, SHOWN).join(sep);
  return items.length > SHOWN ? `${shown}${sep}and ${items.length - SHOWN} more` : shown;
}

export const firstLine = (s: string) => s.split('\n')[0] ?? s;

export const errorOf = (o: { ok: false; status?: number; error: string }) => firstLine(o.error);
