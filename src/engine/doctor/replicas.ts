// Verdicts on a cluster as a destination, from the plan: namespaces the exports need, and
// replicas the next sync would collect.
import type { Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { sourcesOf } from '../../model/replica-service.ts';
import { isOwned } from '../../vocab/labels.ts';
import type { PlanReport } from '../plan.ts';
import type { Check } from './types.ts';
import { check, some } from './verdict.ts';

export function namespaceCheck(config: Config, cluster: string, plan: PlanReport, readError?: string): Check {
  if (readError) return check('namespaces', cluster, 'warn', `cannot read the cluster (${readError}): fix that first`);
  const missing = [...new Set(plan.plan.conflicts.filter((c) => c.cluster === cluster && c.kind === 'missing-namespace').map((c) => c.namespace))].sort(cmp);
  const created = plan.plan.actions.filter((a) => a.cluster === cluster && a.verb === 'create' && a.ref.kind === 'Namespace').map((a) => a.ref.name).sort(cmp);
  if (missing.length > 0) {
    return check('namespaces', cluster, 'fail', `exports need namespace(s) ${some(missing)}, missing here and createNamespaces is false: create them, or set createNamespaces: true`, { missing });
  }
  if (created.length > 0) return check('namespaces', cluster, 'info', `namespace(s) ${some(created)} will be created by the next sync (createNamespaces is true)`, { willCreate: created });
  return check('namespaces', cluster, 'pass', `every namespace the exports need exists${config.createNamespaces ? '' : ' (createNamespaces is false)'}`);
}

export function orphanCheck(config: Config, cluster: string, plan: PlanReport, readError?: string): Check {
  if (readError) return check('orphaned-replicas', cluster, 'warn', `cannot read the cluster (${readError}): fix that first`);
  const mine = plan.plan.actions.filter((a) => a.cluster === cluster);
  const recreated = new Set(mine.filter((a) => a.verb === 'create' && a.ref.kind === 'Service').map((a) => a.key));
  // A type change deletes and re-creates the replica: that is not a collection.
  const collected = mine.filter((a) => a.verb === 'delete' && a.ref.kind === 'Service' && !recreated.has(a.key)).map((a) => a.key);
  // The planner keeps these untouched; they are counted so the verdict says what it did not judge.
  const kept = (plan.destinations.find((d) => d.cluster === cluster)?.services ?? [])
    .filter((s) => isOwned(s.metadata, config.instance) && sourcesOf(s).some((src) => plan.unavailable.has(src))).length;
  const keptNote = kept > 0 ? `; ${kept} replica(s) of unavailable sources not judged` : '';
  if (collected.length > 0) {
    return check('orphaned-replicas', cluster, 'warn',
      `${collected.length} replica(s) would be collected by the next sync (source Service gone or no longer exported): ${some(collected.sort(cmp))}; \`mcsync plan\` lists them${keptNote}`,
      { replicas: collected });
  }
  return check('orphaned-replicas', cluster, 'pass', `no replica whose source is gone${keptNote}`);
}
