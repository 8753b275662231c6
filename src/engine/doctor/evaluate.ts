// Everything doctor judges, from what was gathered: pure, so every verdict is unit-tested
// without a server.
import type { Config } from '../../config/types.ts';
import { parseCidr } from '../../model/cidr.ts';
import { leaseCluster, writtenClusters, type Mode } from '../requirements.ts';
import { apiChecks, mcsCheck, permissionChecks, reachCheck } from './access.ts';
import { podAddresses, podCidrCheck, podOverlapChecks, serviceCidrCheck, serviceCidrOverlap, type PodView } from './ranges.ts';
import { namespaceCheck, orphanCheck } from './replicas.ts';
import { guardCheck } from './guard.ts';
import { identityChecks, inventoryChecks } from './inventory.ts';
import { routingCheck } from './routing.ts';
import { localityCheck } from './locality.ts';
import { localityWanted } from '../../model/locality/plan.ts';
import { serverVersionCheck } from './server-version.ts';
import type { Check, DoctorInput, DoctorReport } from './types.ts';
import { check, firstLine } from './verdict.ts';

/** The checks a reachable cluster gets, so an unreachable one lists the same names as skipped. */
function clusterCheckNames(config: Config, cluster: string, mode: Mode): string[] {
  const names = ['server-version', 'api-endpointslices', 'api-leases', 'permissions'];
  if (leaseCluster(config, mode) === cluster) names.push('lease-permissions');
  names.push('mcs-crds', 'pod-cidrs', 'service-cidr');
  if (config.clusters.some((c) => c.name === cluster && c.exports.length > 0)) names.push('endpoint-guard');
  if (writtenClusters(config, mode).has(cluster)) names.push('namespaces');
  if (readAsDestination(cluster, mode)) names.push('orphaned-replicas', 'routing');
  if (readAsDestination(cluster, mode) && localityWanted(config)) names.push('locality');
  return names;
}

/** Push mode reads every cluster for replicas to collect; pull mode only its own. */
function readAsDestination(cluster: string, mode: Mode): boolean {
  return mode.localCluster === undefined || mode.localCluster === cluster;
}

export function summarize(checks: Check[]): DoctorReport['summary'] {
  const summary = { pass: 0, warn: 0, fail: 0, info: 0 };
  for (const c of checks) summary[c.result]++;
  return summary;
}

export function evaluate(input: DoctorInput): DoctorReport {
  const { config, facts, plan, mode = {}, inventory } = input;
  const readErrors = new Map(plan.failures.filter((f) => f.stage === 'read').map((f) => [f.cluster, firstLine(f.error)]));
  const checks: Check[] = [];
  const views: PodView[] = [];
  // Missing namespaces matter where this instance writes: every destination, or in pull mode the local one.
  const written = writtenClusters(config, mode);
  for (const f of facts) {
    checks.push(reachCheck(f));
    if (!f.reach.ok) {
      for (const name of clusterCheckNames(config, f.cluster, mode)) checks.push(check(name, f.cluster, 'info', 'skipped: unavailable'));
      continue;
    }
    checks.push(serverVersionCheck(f));
    const isLease = leaseCluster(config, mode) === f.cluster;
    checks.push(...apiChecks(f, isLease));
    checks.push(...permissionChecks(f, isLease));
    checks.push(mcsCheck(f, config.mcs));
    const source = plan.sources.find((s) => s.cluster === f.cluster);
    const view: PodView = {
      cluster: f.cluster,
      ...(f.nodeCidrs?.ok ? { cidrs: f.nodeCidrs.value.flatMap((n) => { const c = parseCidr(n.cidr); return c ? [{ node: n.node, cidr: c }] : []; }) } : {}),
      ...(source ? { ips: podAddresses(source) } : {}),
    };
    views.push(view);
    checks.push(podCidrCheck(f, view, readErrors.get(f.cluster)));
    checks.push(serviceCidrCheck(f));
    const guard = guardCheck(config, f.cluster, plan, readErrors.get(f.cluster));
    if (guard) checks.push(guard);
    if (written.has(f.cluster)) checks.push(namespaceCheck(config, f.cluster, plan, readErrors.get(f.cluster)));
    if (readAsDestination(f.cluster, mode)) {
      checks.push(orphanCheck(config, f.cluster, plan, readErrors.get(f.cluster)));
      checks.push(routingCheck(config, f.cluster, plan, readErrors.get(f.cluster)));
      if (localityWanted(config)) checks.push(localityCheck(config, f.cluster, plan, readErrors.get(f.cluster)));
    }
  }
  checks.push(...podOverlapChecks(views, facts));
  checks.push(serviceCidrOverlap(facts));
  checks.push(...inventoryChecks(config, inventory));
  checks.push(...identityChecks(facts));
  return { checks, summary: summarize(checks) };
}
