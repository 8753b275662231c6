// The endpoint guard's verdict for one source cluster: which ranges bound what it may export,
// and what was dropped. Unknown ranges are a warning, not a failure: replication goes on, but
// a compromised source could then point replicas at any address outside the always-dropped ones.
import type { Config } from '../../config/types.ts';
import type { PlanReport } from '../plan.ts';
import { describeRejections } from '../rejection-events.ts';
import type { Check } from './types.ts';
import { check } from './verdict.ts';

export function guardCheck(config: Config, cluster: string, plan: PlanReport, readError?: string): Check | undefined {
  const c = config.clusters.find((x) => x.name === cluster);
  if (!c || c.exports.length === 0) return undefined;
  if (readError) return check('endpoint-guard', cluster, 'warn', `not judged: the source could not be read (${readError})`);
  const source = plan.sources.find((s) => s.cluster === cluster);
  const ranges = c.podCIDRs ?? source?.podCidrs;
  const from = c.podCIDRs ? 'podCIDRs in the config' : "the Nodes' spec.podCIDRs";
  const rejected = plan.rejected.filter((r) => r.cluster === cluster);
  const dropped = rejected.length > 0 ? `; dropped ${describeRejections(rejected)}` : '';
  const detail = { podCidrs: ranges ?? [], rejected: rejected.map((r) => ({ service: `${r.namespace}/${r.name}`, reason: r.reason, what: r.what })) };
  if (!ranges) {
    return check('endpoint-guard', cluster, 'warn',
      `guard off: no pod CIDRs known (no podCIDRs in the config, and no Node has spec.podCIDR or nodes may not be listed), so endpoint addresses are replicated without a range check; set podCIDRs for this cluster${dropped}`, detail);
  }
  if (rejected.length > 0) return check('endpoint-guard', cluster, 'warn', `endpoints bounded by ${ranges.join(', ')} (${from})${dropped}`, detail);
  return check('endpoint-guard', cluster, 'pass', `endpoints bounded by ${ranges.join(', ')} (${from}); nothing rejected`, detail);
}
