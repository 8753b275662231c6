// Which labels and annotations of a source Service its replicas carry: the user's copy filter
// (include / exclude globs) over the built-in exclusions of keys that describe the source
// cluster's own tooling (helm, kubectl) rather than the Service.
import type { CopyFilter } from '../config/types.ts';
import { DEFAULT_COPY_EXCLUDES } from '../vocab/labels.ts';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `*` matches any run of characters, including `/`, so `example.com/*` covers every key of a prefix. */
export function globMatches(glob: string, key: string): boolean {
  let re = compiled.get(glob);
  if (!re) compiled.set(glob, (re = new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`, 's')));
  return re.test(key);
}

/** Globs come from the config and the built-in list, a handful: compiled once each, not per key per plan. */
const compiled = new Map<string, RegExp>();

/**
 * The user's exclude beats everything; the user's include beats the built-in exclusions (so a
 * user can deliberately carry e.g. a helm annotation); with an include list nothing else passes.
 */
export function copyAllowed(filter: CopyFilter, key: string): boolean {
  // mcsync's own keys on a source Service describe that cluster's state, never a replica's.
  if (key.startsWith('mcsync.io/')) return false;
  const any = (globs: readonly string[] | undefined) => (globs ?? []).some((g) => globMatches(g, key));
  if (any(filter.exclude)) return false;
  if (filter.include !== undefined && any(filter.include)) return true;
  if (any(DEFAULT_COPY_EXCLUDES)) return false;
  return filter.include === undefined;
}

export function copyFiltered(filter: CopyFilter, map: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) if (copyAllowed(filter, k)) out[k] = v;
  return out;
}
