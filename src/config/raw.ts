// Reading the parsed but unvalidated config value. The cross-field checks run on it (not on
// zod's output) so their findings are reported together with the schema's, in one pass.
import type { Path } from './positions.ts';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The mapping entries of a list, each with its index; anything else the schema reports. */
export function records(v: unknown): [Record<string, unknown>, number][] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((item, i): [Record<string, unknown>, number][] => (isRecord(item) ? [[item, i]] : []));
}

export function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}
