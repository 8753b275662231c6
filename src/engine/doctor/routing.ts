// Verdict on a cluster as a destination: whether kube-proxy there can route through the replicas
// (and derived Services) as their sources ask. The notes themselves are model/routing.ts.
import { tieredRouting } from '../../model/locality/plan.ts';
import type { Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { isOwned } from '../../vocab/labels.ts';
import { routingNotes, type RoutingNote } from '../../model/routing.ts';
import { serviceKeyOf } from '../../vocab/keys.ts';
import type { PlanReport } from '../plan.ts';
import type { Check } from './types.ts';
import { check, some } from './verdict.ts';

/** Notes that mean traffic does not go where the source asked; Local is the user's own choice, told as information. */
const WARNING: ReadonlySet<RoutingNote['kind']> = new Set(['family-missing', 'zoneless-endpoints']);

export function routingCheck(config: Config, cluster: string, plan: PlanReport, readError?: string): Check {
  if (readError) return check('routing', cluster, 'warn', `cannot read the cluster (${readError}): fix that first`);
  const found: { service: string; note: RoutingNote }[] = [];
  const here = plan.destinations.find((d) => d.cluster === cluster);
  const live = new Map((here?.services ?? []).map((s) => [serviceKeyOf(s), s]));
  const byKey = Map.groupBy(plan.exports.filter((e) => e.sourceCluster !== cluster && e.destinations.includes(cluster)), (e) => serviceKeyOf(e.service));
  for (const [key, exs] of byKey) {
    const svc = live.get(key);
    // Not there yet: the next sync creates it, and then there is something to judge. A user's
    // Service that replicas merge into is not judged: its own endpoints may be on local nodes.
    if (!svc || !isOwned(svc.metadata, config.instance)) continue;
    for (const note of routingNotes({ wanted: svc, live: svc, sources: exs.map((e) => ({ cluster: e.sourceCluster, slices: e.slices })), ...tieredRouting(exs) })) found.push({ service: key, note });
  }
  for (const m of plan.mcs ?? []) {
    for (const n of m.notes ?? []) {
      if (n.cluster !== cluster) continue;
      found.push({ service: `${m.namespace}/${m.name} (import)`, note: { kind: n.kind, message: n.message } });
    }
  }
  found.sort((a, b) => cmp(a.service, b.service));
  const lines = found.map((f) => `${f.service}: ${f.note.message}`);
  const detail = { notes: found.map((f) => ({ service: f.service, kind: f.note.kind, message: f.note.message })) };
  if (found.some((f) => WARNING.has(f.note.kind))) {
    return check('routing', cluster, 'warn', `${found.length} replica(s) route other than their source asks: ${some(lines, '; ')}; docs/topology.md explains`, detail);
  }
  if (found.length > 0) return check('routing', cluster, 'info', some(lines, '; '), detail);
  return check('routing', cluster, 'pass', 'every replica here has an address of each family its endpoints have, and every distribution it carries is served by zone hints');
}
