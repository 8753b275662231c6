// Locality tiers on the MCS path: KEP-5939's clusterSelectors are not in the shipped
// ServiceExport CRD yet, so an export carries them in an annotation, as the JSON (or YAML) of the
// field the KEP defines. Moving to the field later changes where they are read, nothing else.
import { parse } from 'yaml';
import { clusterSelectors as schema } from '../../config/schema.ts';
import type { ClusterSelector } from '../../vocab/cluster-selectors.ts';
import { CLUSTER_SELECTORS } from '../../vocab/labels.ts';

export type Tiers = { selectors: ClusterSelector[] } | { error: string } | undefined;

/** The tiers an object's annotation gives: none, a list, or why the text is not one (the KEP's InvalidClusterSelector). */
export function tiersFromAnnotation(meta: { annotations?: Record<string, string> }): Tiers {
  const text = meta.annotations?.[CLUSTER_SELECTORS];
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    return { error: `annotation ${CLUSTER_SELECTORS} is not JSON or YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const where = first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    return { error: `annotation ${CLUSTER_SELECTORS}${where}: ${first.message}` };
  }
  return { selectors: parsed.data as ClusterSelector[] };
}
