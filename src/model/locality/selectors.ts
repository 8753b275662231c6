// Locality tiers, shaped like KEP-5939 "Cluster Selection for Multi-Cluster Services": an export's
// ordered `clusterSelectors`, each a `propertySelector` over cluster properties (the About API's
// ClusterProperty keys and values, or the config's per-cluster properties). The special value
// "@SameAsImporter@" stands for the importing cluster's own value of that key; a key the
// importer lacks makes the selector match nothing. Pure: evaluation only, no I/O.
//
// Names and semantics follow the KEP so that moving from mcsync's annotation and config field to
// the API field, once the shipped CRDs have it, is mechanical.

export { CLUSTER_ID_PROPERTY, SAME_AS_IMPORTER, MAX_CLUSTER_SELECTORS, invalidSelectors } from '../../vocab/cluster-selectors.ts';
export type { PropertyOperator, PropertySelectorRequirement, PropertySelector, ClusterSelector, ClusterProperties } from '../../vocab/cluster-selectors.ts';
import { CLUSTER_ID_PROPERTY, SAME_AS_IMPORTER, type ClusterProperties, type ClusterSelector } from '../../vocab/cluster-selectors.ts';

/** The importer's value for a key, substituted for "@SameAsImporter@"; undefined when it has none (the selector then matches nothing). */
function resolve(value: string, key: string, importer: ClusterProperties): string | undefined {
  if (value !== SAME_AS_IMPORTER) return value;
  return propertyOf(importer, key);
}

function propertyOf(c: ClusterProperties, key: string): string | undefined {
  return key === CLUSTER_ID_PROPERTY ? (c.properties[key] ?? c.id) : c.properties[key];
}

/** Whether `candidate` matches one selector evaluated for `importer`. */
export function matches(selector: ClusterSelector, importer: ClusterProperties, candidate: ClusterProperties): boolean {
  const p = selector.propertySelector;
  for (const [key, raw] of Object.entries(p.matchProperties ?? {})) {
    const want = resolve(raw, key, importer);
    if (want === undefined || propertyOf(candidate, key) !== want) return false;
  }
  for (const e of p.matchExpressions ?? []) {
    const have = propertyOf(candidate, e.key);
    if (e.operator === 'Exists') {
      if (have === undefined) return false;
      continue;
    }
    if (e.operator === 'DoesNotExist') {
      if (have !== undefined) return false;
      continue;
    }
    const values = (e.values ?? []).map((v) => resolve(v, e.key, importer));
    // An unresolvable "@SameAsImporter@" matches no cluster (In) and excludes none (NotIn).
    const known = values.filter((v): v is string => v !== undefined);
    if (e.operator === 'In' && (values.length !== known.length || have === undefined || !known.includes(have))) return false;
    if (e.operator === 'NotIn' && have !== undefined && known.includes(have)) return false;
  }
  return true;
}

/**
 * The KEP's `clusterSelectorResults` for one importing cluster: per selector, in order, the
 * constituent clusters it matches (sorted). Endpoint conditions play no part here.
 */
export function selectorResults(selectors: readonly ClusterSelector[], importer: ClusterProperties, constituents: readonly ClusterProperties[]): string[][] {
  return selectors.map((s) => constituents.filter((c) => matches(s, importer, c)).map((c) => c.id).sort());
}
