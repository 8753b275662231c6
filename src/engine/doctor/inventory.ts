// Verdicts about where clusters come from and who they say they are: the inventory read from
// the hub (profiles that could not become clusters, the cluster manager's health of each), and
// the About API's cluster id (KEP-2149) against the configured name and across the fleet.
import type { Config } from '../../config/types.ts';
import { CLUSTER_ID_PROPERTY } from '../../vocab/inventory.ts';
import type { InventoryView } from '../inventory.ts';
import { FLEET, type Check, type ClusterFacts } from './types.ts';
import { check, errorOf, some } from './verdict.ts';

/** `inventory` for the fleet, then `profile-health` for each cluster that came from it. */
export function inventoryChecks(config: Config, inv: InventoryView | undefined): Check[] {
  if (!config.inventory || !inv) return [];
  const where = `namespace ${inv.namespace}${inv.labelSelector !== undefined ? ` (${inv.labelSelector})` : ''} of the hub ${inv.hub}`;
  const out: Check[] = [];
  const joined = inv.profiles.filter((p) => p.cluster !== undefined && config.clusters.some((c) => c.name === p.cluster!.name && c.origin?.kind === 'inventory'));
  if (inv.problems.length > 0) {
    out.push(check('inventory', FLEET, 'fail', `${inv.problems.length} problem(s) with the inventory in ${where}: ${some(inv.problems.map((p) => p.message), '; ')}`, { problems: inv.problems.map((p) => `${p.file}:${p.line}: ${p.field}: ${p.message}`) }));
  } else {
    out.push(check('inventory', FLEET, 'pass', `${joined.length} cluster(s) from ClusterProfiles in ${where}: ${some(joined.map((p) => p.name))}`));
  }
  for (const p of joined) {
    const scope = p.cluster!.name;
    const from = `ClusterProfile ${p.namespace}/${p.name} (provider "${p.provider}")`;
    if (p.healthy === true) out.push(check('profile-health', scope, 'pass', `${from}: ${p.health}`));
    else if (p.healthy === false) out.push(check('profile-health', scope, 'warn', `${from}: the cluster manager reports ${p.health}; mcsync still tries the cluster, see reachable`));
    else out.push(check('profile-health', scope, 'info', `${from}: ${p.health}`));
  }
  return out;
}

/**
 * `cluster-id` for each cluster that has a ClusterProperty cluster.clusterset.k8s.io (a warning
 * when it differs from the configured name: replicas are labelled with the name), and
 * `cluster-ids` for the fleet: two clusters claiming one id is a failure.
 */
export function identityChecks(facts: readonly ClusterFacts[]): Check[] {
  const out: Check[] = [];
  const claims = new Map<string, string[]>();
  for (const f of facts) {
    const id = f.clusterId;
    if (!id) continue;
    if (!id.ok) {
      out.push(check('cluster-id', f.cluster, 'warn', `cannot read ClusterProperty ${CLUSTER_ID_PROPERTY}: ${errorOf(id)}`));
      continue;
    }
    if (id.value === null) continue;
    claims.set(id.value, [...(claims.get(id.value) ?? []), f.cluster]);
    if (id.value === f.cluster) out.push(check('cluster-id', f.cluster, 'pass', `ClusterProperty ${CLUSTER_ID_PROPERTY} is "${id.value}", the configured name`));
    else if (facts.some((o) => o.cluster !== f.cluster && (o.cluster === id.value || (o.clusterId?.ok && o.clusterId.value === id.value)))) {
      out.push(check('cluster-id', f.cluster, 'warn', `ClusterProperty ${CLUSTER_ID_PROPERTY} is "${id.value}", which another cluster is (or is named): not used, replicas and imports name this cluster "${f.cluster}"`, { id: id.value }));
    } else {
      out.push(check('cluster-id', f.cluster, 'pass', `ClusterProperty ${CLUSTER_ID_PROPERTY} is "${id.value}": replicas and imports name this cluster "${id.value}" (the source-cluster label, clusterset DNS, ServiceImport status); config and status keep calling it "${f.cluster}"`, { id: id.value }));
    }
  }
  if (claims.size === 0) return out;
  const shared = [...claims].filter(([, cs]) => cs.length > 1);
  if (shared.length > 0) {
    out.push(check('cluster-ids', FLEET, 'fail', `clusters claim the same id (${CLUSTER_ID_PROPERTY}): ${some(shared.map(([id, cs]) => `"${id}" by ${cs.join(', ')}`), '; ')}: each cluster of a clusterset needs its own id`, { shared: Object.fromEntries(shared) }));
  } else {
    out.push(check('cluster-ids', FLEET, 'pass', `${claims.size} cluster id(s), all different`));
  }
  return out;
}
