// One-shot replication: plan (engine/plan.ts), then apply the plan to each destination in
// parallel. A cluster that cannot be read is reported and treated as unavailable: its replicas
// elsewhere are kept, not collected.
import type { Config } from '../config/types.ts';
import type { Action } from '../model/types.ts';
import { applyActions, type WriteResult } from '../kube/write.ts';
import type { ConnectFailure, Connected } from './clusters.ts';
import { computeMcsPlan, computePlan, type PlanReport } from './plan.ts';
import { postProblemEvents, type EventResult } from './events.ts';
import { postRejectionEvents, type RejectionEventResult } from './rejection-events.ts';

export interface SyncReport extends PlanReport {
  results: WriteResult[];
  /** Events posted on user NetworkPolicies that are bad input (config.networkPolicies only). */
  events: EventResult[];
  /** Events posted on source Services whose endpoints the guard dropped. */
  rejectionEvents: RejectionEventResult[];
}

export async function sync(
  config: Config,
  clusters: Map<string, Connected>,
  opts: {
    onResult?: (r: WriteResult) => void;
    onPlan?: (p: PlanReport) => void;
    /**
     * Configured clusters left out of `clusters` because they could not be connected (sync
     * --skip-unavailable), and why: the planner treats them as unavailable, so nothing they
     * sourced is updated or deleted anywhere.
     */
    unreachable?: readonly ConnectFailure[];
  } = {},
): Promise<SyncReport> {
  const report = await computePlan(config, clusters, opts.unreachable);
  opts.onPlan?.(report);
  const results: WriteResult[] = [];
  const apply = async (actions: Action[]): Promise<boolean> => {
    let ok = true;
    await Promise.all([...Map.groupBy(actions, (a) => a.cluster)].map(async ([cluster, list]) => {
      const conn = clusters.get(cluster);
      if (!conn) return;
      const r = await applyActions(conn.client, list, { instance: config.instance, concurrency: config.concurrency, onResult: opts.onResult });
      results.push(...r);
      const failed = r.filter((x) => x.outcome === 'failed');
      if (failed.length > 0) {
        ok = false;
        report.failures.push({ cluster, stage: 'write', error: `${failed.length} of ${r.length} writes failed; first: ${failed[0]!.detail}` });
      }
    }));
    return ok;
  };
  let applied = await apply(report.plan.actions);
  // A ServiceImport shows its derived Service's IP, and takes its status, once both exist: a
  // round or two more, each from a fresh read, until nothing is left to do.
  for (let round = 0; config.mcs && applied && round < 3; round++) {
    const again = await computeMcsPlan(config, clusters, report.unavailable, {}, report.places);
    if (again.actions.length === 0) break;
    applied = await apply(again.actions);
  }
  const policies = report.policies;
  const events = policies && policies.problems.length > 0
    ? await postProblemEvents(new Map([...clusters].map(([name, c]) => [name, c.client])), policies.problems, policies.read)
    : [];
  for (const [cluster, list] of Map.groupBy(events.filter((e) => e.outcome === 'failed'), (e) => e.problem.cluster)) {
    report.failures.push({ cluster, stage: 'write', error: `${list.length} Event(s) on invalid NetworkPolicies could not be posted; first: ${list[0]!.detail}` });
  }
  const serviceOf = (cluster: string, namespace: string, name: string) =>
    report.sources.find((s) => s.cluster === cluster)?.services.find((s) => s.metadata.namespace === namespace && s.metadata.name === name);
  const rejectionEvents = report.rejected.length > 0
    ? await postRejectionEvents(new Map([...clusters].map(([name, c]) => [name, c.client])), report.rejected, serviceOf)
    : [];
  // An Event that cannot be posted (no create events on a source) loses only the note, not the guard.
  for (const [cluster, list] of Map.groupBy(rejectionEvents.filter((e) => e.outcome === 'failed'), (e) => e.cluster)) {
    report.failures.push({ cluster, stage: 'write', error: `${list.length} Event(s) on Services with rejected endpoints could not be posted; first: ${list[0]!.detail}` });
  }
  return { ...report, results, events, rejectionEvents };
}
