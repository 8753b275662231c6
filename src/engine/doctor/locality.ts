// Verdict on a cluster as an importer of Services with locality tiers: whether its Nodes say
// which zone they are in, since the tiers are carried out with zone hints (docs/topology.md).
import type { Config } from '../../config/types.ts';
import { localityInactive, MAX_ZONE_HINTS } from '../../model/locality/tiers.ts';
import type { PlanReport } from '../plan.ts';
import type { Check } from './types.ts';
import { check } from './verdict.ts';

export function localityCheck(config: Config, cluster: string, plan: PlanReport, readError?: string): Check {
  if (readError) return check('locality', cluster, 'warn', `cannot read the cluster (${readError}): fix that first`);
  const tiered = (plan.plan.locality ?? []).filter((s) => s.cluster === cluster);
  const count = tiered.length === 0 ? 'no Service with tiers is imported here yet' : `${tiered.length} Service(s) with tiers imported here`;
  const zones = plan.places?.zones(cluster);
  if (zones === undefined) return check('locality', cluster, 'warn', `the Nodes could not be listed, so their zones are unknown: locality tiers are inactive here and traffic goes to every cluster (grant list and watch on nodes); ${count}`);
  const why = localityInactive(zones);
  if (why !== undefined) {
    const fix = zones.length === 0 ? 'label the Nodes with topology.kubernetes.io/zone' : `kube-proxy's hints name at most ${MAX_ZONE_HINTS} zones`;
    return check('locality', cluster, 'warn', `${why}: locality tiers are inactive here and traffic goes to every cluster (${fix}); ${count}`, { zones });
  }
  const inactive = tiered.filter((s) => s.inactive !== undefined);
  if (inactive.length > 0) return check('locality', cluster, 'info', `${count}; inactive for ${inactive.map((s) => `${s.namespace}/${s.name}: ${s.inactive}`).join('; ')}`, { zones });
  return check('locality', cluster, 'pass', `the Nodes are in ${zones.length} zone(s) (${zones.join(', ')}): locality tiers are carried out with zone hints; ${count}`, { zones });
}
