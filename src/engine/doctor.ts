// `mcsync doctor`: a checklist of everything mcsync needs from each cluster and from the fleet
// as a whole. Gathering talks to the apiservers and never throws for one cluster's sake;
// `evaluate` turns what was gathered into checks and is pure, so every verdict is unit-tested
// without a server. Unlike sync, an unreachable cluster is a failed check, not an abort.
import type { ClusterConfig, Config } from '../config/types.ts';
import { KubeApiError, KubeClient, KubeConnectionError } from '../kube/client.ts';
import { PATHS } from '../kube/read.ts';
import { CidrIndex, formatCidr, formatIp, ipKey, parseCidr, parseIp, type Cidr, type Ip } from '../model/cidr.ts';
import { isOwned } from '../vocab/labels.ts';
import { cmp } from '../model/canonical.ts';
import { sourcesOf } from '../model/replica-service.ts';
import { classifyFailure } from '../kube/failure.ts';
import type { SourceSnapshot } from '../model/types.ts';
import type { Service } from '../vocab/objects.ts';
import { clientFor, type ConnectFailure, type Connected } from './clusters.ts';
import { computePlan, type PlanReport } from './sync.ts';

export type CheckResult = 'pass' | 'warn' | 'fail' | 'info';

export interface Check {
  name: string;
  /** A cluster name, or "fleet" for checks across clusters. */
  scope: string;
  result: CheckResult;
  /** One line: what was found, and when it is not a pass, what to do. */
  message: string;
  detail?: unknown;
}

export interface DoctorReport {
  checks: Check[];
  summary: Record<CheckResult, number>;
}

export const FLEET = 'fleet';

export type Outcome<T> = { ok: true; value: T } | { ok: false; status?: number; error: string };

export interface AccessNeed {
  verb: string;
  /** '' for the core group. */
  group: string;
  resource: string;
  /** undefined: cluster-wide. */
  namespace?: string;
  /** sync: what sync, plan and run need; lease: only `run --leader-elect`. */
  purpose: 'sync' | 'lease';
}

export type Reachability = { ok: true; version: string; server: string } | { ok: false; reason: string; message: string };

/** What was read from one cluster; fields beyond `reach` are absent when it could not be reached. */
export interface ClusterFacts {
  cluster: string;
  reach: Reachability;
  /** Resource names each group-version serves; status 404 means the group-version is absent. */
  discovery?: { endpointslices: Outcome<string[]>; leases: Outcome<string[]>; mcs: Outcome<string[]> };
  access?: { need: AccessNeed; allowed: Outcome<boolean> }[];
  nodeCidrs?: Outcome<{ node: string; cidr: string }[]>;
  kubernetesIp?: Outcome<string>;
}

export interface DoctorInput {
  config: Config;
  /** In config order, one per cluster. */
  facts: ClusterFacts[];
  /** computePlan over the reachable clusters. */
  plan: PlanReport;
}

const GROUP_VERSIONS = {
  endpointslices: '/apis/discovery.k8s.io/v1',
  leases: '/apis/coordination.k8s.io/v1',
  mcs: '/apis/multicluster.x-k8s.io/v1alpha1',
} as const;

const TIMEOUT_MS = 10_000;
const SHOWN = 3;

// ---------------------------------------------------------------------------------------------
// Pure: what each cluster must grant, and why a cluster could not be reached

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'delete'];

/** Clusters some export rule names as a destination. */
export function destinationClusters(config: Config): Set<string> {
  return new Set(config.clusters.flatMap((c) => c.exports.flatMap((r) => r.exportTo)));
}

/** The cluster holding the Lease of `run --leader-elect` (pull mode may pick another; see operating.md). */
export function leaseCluster(config: Config): string {
  return config.leaderElection.cluster ?? config.clusters[0]!.name;
}

export function requiredAccess(config: Config, cluster: string): AccessNeed[] {
  const needs: AccessNeed[] = [];
  const add = (verbs: string[], group: string, resource: string, purpose: AccessNeed['purpose'], namespace?: string) => {
    for (const verb of verbs) needs.push({ verb, group, resource, purpose, ...(namespace !== undefined ? { namespace } : {}) });
  };
  // Every cluster, source or not, is read cluster-wide: sync and run read each one as a possible
  // destination to find replicas to collect, so namespace-scoped reads alone would fail them.
  // That also covers a source's reads in its exported namespaces.
  add(READ, '', 'services', 'sync');
  add(READ, 'discovery.k8s.io', 'endpointslices', 'sync');
  add(['list', 'watch'], '', 'namespaces', 'sync');
  if (destinationClusters(config).has(cluster)) {
    add(WRITE, '', 'services', 'sync');
    add(WRITE, 'discovery.k8s.io', 'endpointslices', 'sync');
    if (config.createNamespaces) add(['create'], '', 'namespaces', 'sync');
  }
  if (leaseCluster(config) === cluster) add(['get', 'create', 'update'], 'coordination.k8s.io', 'leases', 'lease', config.leaderElection.namespace);
  return needs;
}

const ADVICE: Record<string, string> = {
  dns: 'check the server address in the kubeconfig and this host\'s DNS',
  refused: 'check that the apiserver is up and the kubeconfig\'s server address and port',
  timeout: 'check the network path and firewalls between here and the apiserver',
  tls: 'check certificate-authority(-data) in the kubeconfig and that the server name matches the apiserver\'s certificate',
  'auth-plugin': 'run the kubeconfig\'s exec plugin by hand (e.g. `aws eks get-token`) and fix its PATH or credentials',
  network: 'check the network path to the apiserver',
  unauthorized: 'the token or client certificate is expired or wrong: refresh the kubeconfig',
  forbidden: 'the credential is valid but may not read /version: grant the system:public-info-viewer ClusterRole',
  kubeconfig: 'fix the kubeconfig',
};

const firstLine = (s: string) => s.split('\n')[0] ?? s;

/** Why a cluster could not be reached, as a short reason and one line saying what to do. */
export function describeFailure(err: unknown): { reason: string; message: string } {
  const f = classifyFailure(err);
  const reason = f.kind === 'http' ? `http-${f.status}` : f.kind;
  const what = f.kind === 'kubeconfig' ? `cannot use the kubeconfig: ${f.message}` : f.kind === 'unauthorized' ? 'the apiserver rejected the credentials (401 Unauthorized)' : f.message;
  const advice = ADVICE[reason] ?? 'see docs/troubleshooting.md';
  return { reason, message: `${firstLine(what)}: ${advice}` };
}

// ---------------------------------------------------------------------------------------------
// Pure: the verdicts

const check = (name: string, scope: string, result: CheckResult, message: string, detail?: unknown): Check =>
  detail === undefined ? { name, scope, result, message } : { name, scope, result, message, detail };

/** The first few of a list, then how many more: messages stay one line on a large fleet. */
function some(items: string[], sep = ', '): string {
  const shown = items.slice(0, SHOWN).join(sep);
  return items.length > SHOWN ? `${shown}${sep}and ${items.length - SHOWN} more` : shown;
}

const errorOf = (o: { ok: false; status?: number; error: string }) => firstLine(o.error);

/** The checks a reachable cluster gets, so an unreachable one lists the same names as skipped. */
function clusterCheckNames(config: Config, cluster: string): string[] {
  const names = ['api-endpointslices', 'api-leases', 'permissions'];
  if (leaseCluster(config) === cluster) names.push('lease-permissions');
  names.push('mcs-crds', 'pod-cidrs', 'service-cidr');
  if (destinationClusters(config).has(cluster)) names.push('namespaces');
  names.push('orphaned-replicas');
  return names;
}

function reachCheck(f: ClusterFacts): Check {
  if (f.reach.ok) return check('reachable', f.cluster, 'pass', `server ${f.reach.version} at ${f.reach.server}`, { version: f.reach.version, server: f.reach.server });
  return check('reachable', f.cluster, 'fail', f.reach.message, { reason: f.reach.reason });
}

function apiChecks(f: ClusterFacts, isLeaseCluster: boolean): Check[] {
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

function permissionChecks(f: ClusterFacts, isLeaseCluster: boolean): Check[] {
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

function mcsCheck(f: ClusterFacts): Check {
  const o = f.discovery!.mcs;
  if (o.ok) return check('mcs-crds', f.cluster, 'info', `multicluster.x-k8s.io/v1alpha1 is served (${o.value.join(', ') || 'no resources'}); mcsync neither needs nor touches it`);
  if (o.status === 404) return check('mcs-crds', f.cluster, 'info', 'Multi-Cluster Services CRDs (multicluster.x-k8s.io) absent; mcsync does not need them');
  return check('mcs-crds', f.cluster, 'info', `cannot tell whether multicluster.x-k8s.io is served (${errorOf(o)}); mcsync does not need it`);
}

interface PodAddress {
  ip: Ip;
  /** namespace/service of the slice it was seen in. */
  where: string;
}

/** Addresses of pods in a source's EndpointSlices; endpoints without a Pod behind them are not pod IPs. */
export function podAddresses(src: SourceSnapshot): PodAddress[] {
  const seen = new Map<string, PodAddress>();
  for (const [key, slices] of src.slices) {
    for (const s of slices) {
      if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
      for (const e of s.endpoints ?? []) {
        if (e.targetRef?.kind !== 'Pod') continue;
        for (const a of e.addresses) {
          const ip = parseIp(a);
          if (ip && !seen.has(ipKey(ip))) seen.set(ipKey(ip), { ip, where: key });
        }
      }
    }
  }
  return [...seen.values()];
}

interface PodView {
  cluster: string;
  /** undefined: unknown (nodes could not be listed). */
  cidrs?: { node: string; cidr: Cidr }[];
  /** undefined: the cluster's sources could not be read (or it exports nothing). */
  ips?: PodAddress[];
}

function podCidrCheck(f: ClusterFacts, view: PodView, readError?: string): Check {
  const ips = view.ips ?? [];
  const ipNote = readError ? `; exported pod IPs unknown (${readError})` : `; ${ips.length} pod IP(s) in exported namespaces`;
  const n = f.nodeCidrs!;
  if (!n.ok) {
    const what = n.status === 403 ? 'may not list nodes (403 Forbidden)' : `cannot list nodes (${errorOf(n)})`;
    return check('pod-cidrs', f.cluster, 'warn', `${what}: grant list on nodes, or compare pod CIDRs by hand; only exported pod IPs were compared${ipNote}`);
  }
  const cidrs = view.cidrs ?? [];
  if (cidrs.length === 0) {
    return check('pod-cidrs', f.cluster, 'info', `no Node has spec.podCIDR: the CNI allocates pod IPs itself (e.g. Calico, AWS VPC CNI); compare its IP pools across clusters by hand${ipNote}`);
  }
  const index = new CidrIndex(cidrs.map((c) => ({ cidr: c.cidr, tag: c.node })));
  const outside = ips.filter((p) => index.containing(p.ip).length === 0);
  const blocks = [...new Set(cidrs.map((c) => formatCidr(c.cidr)))];
  const nodes = new Set(cidrs.map((c) => c.node)).size;
  const detail = { podCidrs: blocks, podIps: ips.length };
  if (outside.length > 0) {
    return check('pod-cidrs', f.cluster, 'warn',
      `${outside.length} of ${ips.length} exported pod IP(s) lie outside the Nodes' podCIDRs (${some(outside.map((p) => `${formatIp(p.ip)} in ${p.where}`))}): the CNI allocates from its own pools, so compare those across clusters too`,
      { ...detail, outside: outside.map((p) => formatIp(p.ip)) });
  }
  return check('pod-cidrs', f.cluster, 'pass', `${some(blocks)} (${nodes} node(s))${ipNote}${readError ? '' : ', all inside'}`, detail);
}

function unreachableNote(facts: ClusterFacts[]): string {
  const down = facts.filter((f) => !f.reach.ok).map((f) => f.cluster);
  return down.length ? ` (not compared: ${down.join(', ')} unavailable)` : '';
}

function podOverlapChecks(views: PodView[], facts: ClusterFacts[]): Check[] {
  const note = unreachableNote(facts);
  const withCidrs = views.filter((v) => v.cidrs && v.cidrs.length > 0);
  const indexes = new Map(withCidrs.map((v) => [v.cluster, new CidrIndex(v.cidrs!.map((c) => ({ cidr: c.cidr, tag: c.node })))]));
  const out: Check[] = [];

  // Node pod CIDRs, every pair of clusters once.
  const overlaps: { clusters: [string, string]; cidrs: [string, string] }[] = [];
  const seenPairs = new Set<string>();
  for (let i = 0; i < withCidrs.length; i++) {
    for (let j = i + 1; j < withCidrs.length; j++) {
      const a = withCidrs[i]!;
      const b = withCidrs[j]!;
      for (const c of a.cidrs!) {
        for (const hit of indexes.get(b.cluster)!.overlapping(c.cidr)) {
          const pair: [string, string] = [formatCidr(c.cidr), formatCidr(hit.cidr)];
          const key = `${a.cluster} ${pair[0]} ${b.cluster} ${pair[1]}`;
          if (seenPairs.has(key)) continue;
          seenPairs.add(key);
          overlaps.push({ clusters: [a.cluster, b.cluster], cidrs: pair });
        }
      }
    }
  }
  if (overlaps.length > 0) {
    out.push(check('pod-cidr-overlap', FLEET, 'fail',
      `Node pod CIDRs overlap: ${some(overlaps.map((o) => `${o.clusters[0]} ${o.cidrs[0]} and ${o.clusters[1]} ${o.cidrs[1]}`), '; ')}: give every cluster its own pod range (a NAT-less network routes each pod IP to one cluster)`,
      { overlaps }));
  } else if (withCidrs.length < 2) {
    out.push(check('pod-cidr-overlap', FLEET, 'info', `fewer than two clusters have Node pod CIDRs to compare (${withCidrs.map((v) => v.cluster).join(', ') || 'none'})${note}`));
  } else {
    out.push(check('pod-cidr-overlap', FLEET, 'pass', `no two clusters' Node pod CIDRs overlap (${withCidrs.map((v) => v.cluster).join(', ')})${note}`));
  }

  // Pod IPs actually in use: inside another cluster's range, or in use in two clusters at once.
  const findings: { ip: string; clusters: string[]; message: string }[] = [];
  const owners = new Map<string, { cluster: string; where: string; ip: Ip }[]>();
  for (const v of views) {
    for (const p of v.ips ?? []) {
      const k = ipKey(p.ip);
      owners.set(k, [...(owners.get(k) ?? []), { cluster: v.cluster, where: p.where, ip: p.ip }]);
      for (const [other, index] of indexes) {
        if (other === v.cluster) continue;
        const hit = index.containing(p.ip)[0];
        if (hit) findings.push({ ip: formatIp(p.ip), clusters: [v.cluster, other], message: `${formatIp(p.ip)} (a pod of ${v.cluster} in ${p.where}) lies in ${other}'s pod CIDR ${formatCidr(hit.cidr)}` });
      }
    }
  }
  for (const list of owners.values()) {
    if (list.length < 2) continue;
    findings.push({ ip: formatIp(list[0]!.ip), clusters: list.map((o) => o.cluster), message: `${formatIp(list[0]!.ip)} is a pod IP in ${list.map((o) => `${o.cluster} (${o.where})`).join(' and ')}` });
  }
  const total = views.reduce((n, v) => n + (v.ips?.length ?? 0), 0);
  if (findings.length > 0) {
    out.push(check('pod-ip-overlap', FLEET, 'fail',
      `${some(findings.map((f) => f.message), '; ')}: a pod IP must belong to one cluster only; give the clusters disjoint pod ranges`,
      { conflicts: findings.map(({ ip, clusters }) => ({ ip, clusters })) }));
  } else if (total === 0) {
    out.push(check('pod-ip-overlap', FLEET, 'info', `no pod IPs in exported namespaces yet: nothing to compare${note}`));
  } else {
    out.push(check('pod-ip-overlap', FLEET, 'pass', `none of ${total} exported pod IP(s) lies in another cluster's pod CIDRs or is in use in two clusters${note}`));
  }
  return out;
}

function serviceCidrCheck(f: ClusterFacts): Check {
  const o = f.kubernetesIp!;
  if (!o.ok) return check('service-cidr', f.cluster, 'info', `cannot read default/kubernetes (${errorOf(o)}); only informative`);
  return check('service-cidr', f.cluster, 'info', `default/kubernetes has ClusterIP ${o.value}, usually the first address of the service CIDR`, { kubernetesClusterIp: o.value });
}

function serviceCidrOverlap(facts: ClusterFacts[]): Check {
  const byIp = new Map<string, { ip: string; clusters: string[] }>();
  for (const f of facts) {
    const o = f.kubernetesIp;
    if (!o?.ok || o.value === '') continue;
    const ip = parseIp(o.value);
    const key = ip ? ipKey(ip) : o.value;
    const entry = byIp.get(key) ?? { ip: o.value, clusters: [] };
    entry.clusters.push(f.cluster);
    byIp.set(key, entry);
  }
  const shared = [...byIp.values()].filter((e) => e.clusters.length > 1);
  if (shared.length > 0) {
    return check('service-cidr-overlap', FLEET, 'info',
      `${some(shared.map((e) => `${e.clusters.join(' and ')} share ${e.ip}`), '; ')} for default/kubernetes, so their service CIDRs overlap; that is fine: replicas get ClusterIPs from their own cluster`,
      { shared });
  }
  return check('service-cidr-overlap', FLEET, 'info', 'default/kubernetes ClusterIPs differ across clusters; overlapping service CIDRs would be fine anyway: replicas get ClusterIPs from their own cluster');
}

function namespaceCheck(config: Config, cluster: string, plan: PlanReport, readError?: string): Check {
  if (readError) return check('namespaces', cluster, 'warn', `cannot read the cluster (${readError}): fix that first`);
  const missing = [...new Set(plan.plan.conflicts.filter((c) => c.cluster === cluster && c.kind === 'missing-namespace').map((c) => c.namespace))].sort();
  const created = plan.plan.actions.filter((a) => a.cluster === cluster && a.verb === 'create' && a.ref.kind === 'Namespace').map((a) => a.ref.name).sort();
  if (missing.length > 0) {
    return check('namespaces', cluster, 'fail', `exports need namespace(s) ${some(missing)}, missing here and createNamespaces is false: create them, or set createNamespaces: true`, { missing });
  }
  if (created.length > 0) return check('namespaces', cluster, 'info', `namespace(s) ${some(created)} will be created by the next sync (createNamespaces is true)`, { willCreate: created });
  return check('namespaces', cluster, 'pass', `every namespace the exports need exists${config.createNamespaces ? '' : ' (createNamespaces is false)'}`);
}

function orphanCheck(config: Config, cluster: string, plan: PlanReport, readError?: string): Check {
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

export function summarize(checks: Check[]): DoctorReport['summary'] {
  const summary = { pass: 0, warn: 0, fail: 0, info: 0 };
  for (const c of checks) summary[c.result]++;
  return summary;
}

export function evaluate(input: DoctorInput): DoctorReport {
  const { config, facts, plan } = input;
  const unreachable = new Set(facts.filter((f) => !f.reach.ok).map((f) => f.cluster));
  const readErrors = new Map(plan.failures.filter((f) => f.stage === 'read').map((f) => [f.cluster, firstLine(f.error)]));
  const checks: Check[] = [];
  const views: PodView[] = [];
  const destinations = destinationClusters(config);
  for (const f of facts) {
    checks.push(reachCheck(f));
    if (!f.reach.ok) {
      for (const name of clusterCheckNames(config, f.cluster)) checks.push(check(name, f.cluster, 'info', 'skipped: unavailable'));
      continue;
    }
    const isLease = leaseCluster(config) === f.cluster;
    checks.push(...apiChecks(f, isLease));
    checks.push(...permissionChecks(f, isLease));
    checks.push(mcsCheck(f));
    const source = plan.sources.find((s) => s.cluster === f.cluster);
    const view: PodView = {
      cluster: f.cluster,
      ...(f.nodeCidrs?.ok ? { cidrs: f.nodeCidrs.value.flatMap((n) => { const c = parseCidr(n.cidr); return c ? [{ node: n.node, cidr: c }] : []; }) } : {}),
      ...(source ? { ips: podAddresses(source) } : {}),
    };
    views.push(view);
    checks.push(podCidrCheck(f, view, readErrors.get(f.cluster)));
    checks.push(serviceCidrCheck(f));
    if (destinations.has(f.cluster)) checks.push(namespaceCheck(config, f.cluster, plan, readErrors.get(f.cluster)));
    checks.push(orphanCheck(config, f.cluster, plan, readErrors.get(f.cluster)));
  }
  checks.push(...podOverlapChecks(views, facts));
  checks.push(serviceCidrOverlap(facts));
  return { checks, summary: summarize(checks) };
}

// ---------------------------------------------------------------------------------------------
// I/O: gathering

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof KubeApiError) return { ok: false, status: err.status, error: err.message };
    return { ok: false, error: (err as Error).message };
  }
}

/** A cluster connectAvailable gave up on, probed again to learn why in terms a person can act on. */
async function probe(c: ClusterConfig): Promise<Reachability> {
  let client: KubeClient | undefined;
  try {
    client = clientFor(c);
    const v = await client.request<{ gitVersion: string }>('GET', '/version', { timeoutMs: TIMEOUT_MS });
    // It failed a moment ago: an apiserver that comes and goes is worth a failed check too.
    return { ok: false, reason: 'intermittent', message: `did not answer when mcsync connected, then answered (${v.gitVersion}): check the apiserver's health and the network path, then run doctor again` };
  } catch (err) {
    return { ok: false, ...describeFailure(err) };
  } finally {
    client?.close();
  }
}

async function resources(client: KubeClient, path: string): Promise<string[]> {
  const list = await client.request<{ resources?: { name: string }[] }>('GET', path, { timeoutMs: TIMEOUT_MS });
  return (list.resources ?? []).map((r) => r.name);
}

async function allowed(client: KubeClient, need: AccessNeed): Promise<boolean> {
  const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    timeoutMs: TIMEOUT_MS,
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: need.verb, group: need.group, resource: need.resource, ...(need.namespace !== undefined ? { namespace: need.namespace } : {}) } },
    },
  });
  return review.status?.allowed === true;
}

interface NodeLite {
  metadata: { name: string };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

async function nodeCidrs(client: KubeClient): Promise<{ node: string; cidr: string }[]> {
  const nodes = await client.list<NodeLite>('/api/v1/nodes');
  return nodes.items.flatMap((n) => [...new Set([...(n.spec?.podCIDRs ?? []), ...(n.spec?.podCIDR ? [n.spec.podCIDR] : [])])].map((cidr) => ({ node: n.metadata.name, cidr })));
}

async function gather(config: Config, c: ClusterConfig, conn: Connected | undefined): Promise<ClusterFacts> {
  if (!conn) return { cluster: c.name, reach: await probe(c) };
  const { client } = conn;
  const needs = requiredAccess(config, c.name);
  const [endpointslices, leases, mcs, access, nodes, kubernetesIp] = await Promise.all([
    attempt(() => resources(client, GROUP_VERSIONS.endpointslices)),
    attempt(() => resources(client, GROUP_VERSIONS.leases)),
    attempt(() => resources(client, GROUP_VERSIONS.mcs)),
    Promise.all(needs.map(async (need) => ({ need, allowed: await attempt(() => allowed(client, need)) }))),
    attempt(() => nodeCidrs(client)),
    attempt(async () => (await client.request<Service>('GET', PATHS.service('default', 'kubernetes'), { timeoutMs: TIMEOUT_MS })).spec.clusterIP ?? ''),
  ]);
  return {
    cluster: c.name,
    reach: { ok: true, version: conn.version, server: client.server },
    discovery: { endpointslices, leases, mcs },
    access,
    nodeCidrs: nodes,
    kubernetesIp,
  };
}

export async function doctor(config: Config, clusters: Map<string, Connected>, unavailable: readonly ConnectFailure[] = []): Promise<DoctorReport> {
  const [plan, facts] = await Promise.all([
    computePlan(config, clusters, unavailable),
    Promise.all(config.clusters.map((c) => gather(config, c, clusters.get(c.name)))),
  ]);
  return evaluate({ config, facts, plan });
}
