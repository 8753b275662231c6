// The locality tiers in use, as `mcsync status` prints them: per Service with tiers and importing
// cluster, the tier (0 = nearest), its clusters, or why tiers cannot apply there.
import type { LocalityState } from '../../model/locality/plan.ts';
import { dim, table, yellow } from '../output.ts';

export function tierCell(s: LocalityState): string {
  if (s.inactive) return yellow('inactive');
  return s.tier === 'all' ? yellow('all') : String(s.tier);
}

export function localityTable(rows: readonly LocalityState[]): string {
  return table(['NAMESPACE', 'SERVICE', 'IMPORTED IN', 'TIER', 'CLUSTERS', 'DETAIL'], rows.map((s) => [
    s.namespace, s.name, s.cluster, tierCell(s), s.clusters.join(',') || dim('(none)'),
    s.inactive ?? (s.tier === 'all' ? 'no tier has a ready endpoint: every cluster' : ''),
  ]));
}
