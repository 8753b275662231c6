// Where each cluster came from (the config file or the inventory's ClusterProfiles) and, for
// inventory clusters, the health their cluster manager reports: shown by `status` when the
// config has an inventory.
import type { Config } from '../../config/types.ts';
import type { InventoryView } from '../../engine/inventory.ts';
import { dim, green, red, table, yellow } from '../output.ts';

export interface ClusterOriginRow {
  cluster: string;
  origin: 'file' | 'inventory';
  /** namespace/name of its ClusterProfile. */
  profile?: string;
  provider?: string;
  healthy?: boolean;
  health?: string;
  connected: boolean;
}

export function clusterOrigins(config: Config, connected: ReadonlySet<string>): ClusterOriginRow[] {
  return config.clusters.map((c) => {
    const o = c.origin;
    if (o?.kind !== 'inventory') return { cluster: c.name, origin: 'file', connected: connected.has(c.name) };
    return {
      cluster: c.name, origin: 'inventory', profile: `${o.namespace}/${o.profile}`, provider: o.provider,
      ...(o.healthy !== undefined ? { healthy: o.healthy } : {}), health: o.health, connected: connected.has(c.name),
    };
  });
}

export function originsTable(rows: readonly ClusterOriginRow[], inv: InventoryView | undefined): string {
  const health = (r: ClusterOriginRow): string => (r.health === undefined ? '' : r.healthy === true ? green(r.health) : r.healthy === false ? red(r.health) : yellow(r.health));
  const lines = [table(['CLUSTER', 'ORIGIN', 'PROFILE', 'PROVIDER', 'CONNECTED', 'PROFILE HEALTH'], rows.map((r) =>
    [r.cluster, r.origin, r.profile ?? dim('-'), r.provider ?? dim('-'), r.connected ? green('true') : red('false'), health(r)]))];
  for (const p of inv?.problems ?? []) lines.push(red(`inventory: ${p.message} (${p.file}:${p.line})`));
  return lines.join('\n');
}
