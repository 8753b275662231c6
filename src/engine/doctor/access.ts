// Verdicts on one reachable cluster: it answers, serves the APIs mcsync uses, and grants what
// the requirements table says it must.
import type { AccessNeed } from '../requirements.ts';
import type { Check, ClusterFacts, Outcome } from './types.ts';
import { check, errorOf } from './verdict.ts';

export function reachCheck(f: ClusterFacts): Check {
  if (f.reach.ok) return check('reachable', f.cluster, 'pass', `server ${f.reach.version} at ${f.reach.server}`, { version: f.reach.version, server: f.reach.server });
  return check('reachable', f.cluster, 'fail', f.reach.message, { reason: f.reach.reason });
}

export function apiChecks(f: ClusterFacts, isLeaseCluster: boolean): Check[] {
  const d = f.discovery!;
  const served = (o: Outcome<string[]>, resource: string): boolean | string => (o.ok ? o.value.includes(resource) : o.status === 404 ? false : errorOf(o));
  const out: Check[] = [];
  const slices = served(d.endpointslices, 'endpointslices');
  if (slices === true) out.push(check('api-endpointslices', f.cluster, 'pass', 'discovery.k8s.io/v1 serves endpointslices'));
  else if (slices === false) out.push(check('api-endpointslices', f.cluster, 'fail', 'discovery.k8s.io/v1 endpointslices is not served: replicas need it; upgrade the cluster to Kubernetes 1.21 or newer'));
  else out.push(check('api-endpointslices', f.cluster, 'warn', `cannot read API discovery (${slices}): check that the credential may read /apis`));
  const leases = served(d.leases, 'leases');
  const why = isLeaseCluster ? 'this cluster holds the Lease of `mcsync run --leader-elect`' : 'only the Lease cluster of `mcsync run --leader-elect` needs it';
  if (leases === true) out.push(check('api-leases', f.cluster, 'pass', 'coordination.k8s.io/v1 serves leases'));
  else if (leases === false) out.push(check('api-leases', f.cluster, isLeaseCluster ? 'warn' : 'info', `coordination.k8s.io/v1 leases is not served: ${why}; put the Lease elsewhere with leaderElection.cluster`));
  else out.push(check('api-leases', f.cluster, 'warn', `cannot read API discovery (${leases}): check that the credential may read /apis`));
  return out;
}

function describeNeeds(needs: AccessNeed[]): string {
  const groups = new Map<string, string[]>();
  for (const n of needs) {
    const key = `${n.resource}${n.group ? `.${n.group}` : ''}${n.namespace !== undefined ? ` in ${n.namespace}` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), n.verb]);
  }
  return [...groups].map(([what, verbs]) => `${verbs.join('/')} ${what}`).join(', ');
}

export function permissionChecks(f: ClusterFacts, isLeaseCluster: boolean): Check[] {
  const answers = f.access ?? [];
  const out: Check[] = [];
  for (const purpose of ['sync', 'lease'] as const) {
    if (purpose === 'lease' && !isLeaseCluster) continue;
    const name = purpose === 'sync' ? 'permissions' : 'lease-permissions';
    const mine = answers.filter((a) => a.need.purpose === purpose);
    const missing = mine.filter((a) => a.allowed.ok && !a.allowed.value).map((a) => a.need);
    const unknown = mine.filter((a) => !a.allowed.ok);
    const detail = { missing: missing.map(({ purpose: _, ...n }) => n), unknown: unknown.map((a) => ({ verb: a.need.verb, resource: a.need.resource, error: a.allowed.ok ? '' : errorOf(a.allowed) })) };
    if (missing.length > 0) {
      const grant = `grant them to the kubeconfig's user (docs/troubleshooting.md#permissions)`;
      out.push(purpose === 'sync'
        ? check(name, f.cluster, 'fail', `missing ${describeNeeds(missing)}: ${grant}`, detail)
        : check(name, f.cluster, 'warn', `missing ${describeNeeds(missing)}: only \`mcsync run --leader-elect\` needs them; ${grant}`, detail));
    } else if (unknown.length > 0) {
      const first = unknown[0]!.allowed;
      out.push(check(name, f.cluster, 'warn', `cannot ask the apiserver (SelfSubjectAccessReview: ${first.ok ? '' : errorOf(first)}): check ${describeNeeds(unknown.map((a) => a.need))} by hand with \`kubectl auth can-i\``, detail));
    } else {
      out.push(check(name, f.cluster, 'pass', `all ${mine.length} permission(s) mcsync needs here are granted`, { granted: describeNeeds(mine.map((a) => a.need)) }));
    }
  }
  return out;
}

const MCS_RESOURCES = ['serviceexports', 'serviceimports'];

/**
 * With mcs: true the CRDs must be served at v1beta1 (what mcsync reads and writes), and v1alpha1
 * should be (what CoreDNS's multicluster option reads); without it, only what is there is said.
 */
export function mcsCheck(f: ClusterFacts, mcsOn = false): Check {
  const o = f.discovery!.mcs;
  if (mcsOn) {
    const beta = f.discovery!.mcsBeta;
    const fix = 'kubectl apply -f deploy/mcs/crds/ (docs/mcs.md)';
    if (!beta || !beta.ok) return check('mcs-crds', f.cluster, 'fail', `mcs: true, but multicluster.x-k8s.io/v1beta1 is not served (${beta ? errorOf(beta) : 'not asked'}): ${fix}`);
    const lacking = MCS_RESOURCES.filter((r) => !beta.value.includes(r));
    if (lacking.length > 0) return check('mcs-crds', f.cluster, 'fail', `mcs: true, but multicluster.x-k8s.io/v1beta1 lacks ${lacking.join(', ')}: ${fix}`);
    if (!o.ok || !MCS_RESOURCES.every((r) => o.value.includes(r))) return check('mcs-crds', f.cluster, 'warn', `v1beta1 is served, v1alpha1 is not: CoreDNS 1.14's multicluster option reads v1alpha1 ServiceImports, so clusterset.local will not answer; ${fix}`);
    return check('mcs-crds', f.cluster, 'pass', `ServiceExport and ServiceImport served at v1beta1 (mcsync) and v1alpha1 (CoreDNS)`);
  }
  if (o.ok) return check('mcs-crds', f.cluster, 'info', `multicluster.x-k8s.io/v1alpha1 is served (${o.value.join(', ') || 'no resources'}); mcsync neither needs nor touches it`);
  if (o.status === 404) return check('mcs-crds', f.cluster, 'info', 'Multi-Cluster Services CRDs (multicluster.x-k8s.io) absent; mcsync does not need them');
  return check('mcs-crds', f.cluster, 'info', `cannot tell whether multicluster.x-k8s.io is served (${errorOf(o)}); mcsync does not need it`);
}
