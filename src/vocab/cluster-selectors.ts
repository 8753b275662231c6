// The shapes of KEP-5939 "Cluster Selection for Multi-Cluster Services": an export's ordered
// clusterSelectors over cluster properties (the About API's ClusterProperty keys and values).
// Shared by the config (a services entry's clusterSelectors), the ServiceExport annotation that
// carries them on the MCS path, and the pure evaluation in model/locality/.

/** The About API's key for a cluster's id (KEP-2149). */
export const CLUSTER_ID_PROPERTY = 'cluster.clusterset.k8s.io';
export const SAME_AS_IMPORTER = '@SameAsImporter@';
/** The KEP's limit on the list. */
export const MAX_CLUSTER_SELECTORS = 16;

export type PropertyOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface PropertySelectorRequirement {
  key: string;
  operator: PropertyOperator;
  values?: string[];
}

export interface PropertySelector {
  matchProperties?: Record<string, string>;
  matchExpressions?: PropertySelectorRequirement[];
}

export interface ClusterSelector {
  propertySelector: PropertySelector;
}

/** A cluster as selection sees it: its id and its properties (the id is also the CLUSTER_ID_PROPERTY). */
export interface ClusterProperties {
  id: string;
  properties: Readonly<Record<string, string>>;
}


/** Why a list of selectors is not valid (the KEP's reason is InvalidClusterSelector), or undefined. */
export function invalidSelectors(selectors: readonly ClusterSelector[]): string | undefined {
  if (selectors.length > MAX_CLUSTER_SELECTORS) return `at most ${MAX_CLUSTER_SELECTORS} clusterSelectors, not ${selectors.length}`;
  for (const [i, s] of selectors.entries()) {
    const p = s.propertySelector as PropertySelector | undefined;
    if (!p) return `clusterSelectors[${i}]: propertySelector is required`;
    const props = Object.keys(p.matchProperties ?? {});
    const exprs = p.matchExpressions ?? [];
    if (props.length === 0 && exprs.length === 0) return `clusterSelectors[${i}]: an empty propertySelector selects nothing`;
    for (const [j, e] of exprs.entries()) {
      const where = `clusterSelectors[${i}].propertySelector.matchExpressions[${j}]`;
      if (!e.key) return `${where}: key is required`;
      if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) return `${where}: operator must be In, NotIn, Exists or DoesNotExist, not "${String(e.operator)}"`;
      const values = e.values ?? [];
      if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) return `${where}: ${e.operator} needs at least one value`;
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) return `${where}: ${e.operator} takes no values`;
    }
  }
  return undefined;
}
