import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError, KubeConnectionError } from '../../kube/client.ts';
import { cluster, config, destination, ep, rule, slice, source, svc } from '../../model/fixtures.test-util.ts';
import { ownershipLabels, SOURCES } from '../../vocab/labels.ts';
import type { Config } from '../../config/types.ts';
import type { Conflict } from '../../model/conflicts.ts';
import type { Action, DestinationSnapshot, SourceSnapshot } from '../../model/types.ts';
import type { PlanReport } from '../plan.ts';
import { describeFailure, evaluate, requiredAccess, type Check, type ClusterFacts, type Outcome } from './index.ts';

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const no = (status: number, error = `${status}`): Outcome<never> => ({ ok: false, status, error });

/** A cluster that answers everything and grants everything, with the given node pod CIDRs. */
function healthy(cfg: Config, name: string, cidrs: string[], over: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    cluster: name,
    reach: { ok: true, version: 'v1.36.3', server: `https://${name}:6443` },
    discovery: { endpointslices: ok(['endpointslices']), leases: ok(['leases']), mcs: no(404) },
    access: requiredAccess(cfg, name).map((need) => ({ need, allowed: ok(true) })),
    nodeCidrs: ok(cidrs.map((cidr, i) => ({ node: `${name}-${i}`, cidr }))),
    kubernetesIp: ok('10.96.0.1'),
    ...over,
  };
}

function planReport(o: { sources?: SourceSnapshot[]; destinations?: DestinationSnapshot[]; actions?: Action[]; conflicts?: Conflict[]; failures?: PlanReport['failures']; unavailable?: string[]; rejected?: PlanReport['rejected']; unguarded?: PlanReport['unguarded'] } = {}): PlanReport {
  const failures = o.failures ?? [];
  const unavailable = new Set([...(o.unavailable ?? []), ...failures.filter((f) => f.stage !== 'write').map((f) => f.cluster)]);
  return { plan: { actions: o.actions ?? [], conflicts: o.conflicts ?? [] }, exports: [], excluded: [], rejected: o.rejected ?? [], unguarded: o.unguarded ?? [], sources: o.sources ?? [], destinations: o.destinations ?? [], unavailable, failures };
}

const get = (checks: Check[], name: string, scope: string): Check => {
  const c = checks.find((x) => x.name === name && x.scope === scope);
  assert.ok(c, `${name}@${scope} in ${checks.map((x) => `${x.name}@${x.scope}`).join(' ')}`);
  return c;
};

const podSlice = (ns: string, name: string, ips: string[]) =>
  slice(ns, name, `${name}-x`, ips.map((ip, i) => ep(ip, { targetRef: { kind: 'Pod', namespace: ns, name: `${name}-${i}` } })));

const cfg = config([cluster('a', [rule({ namespace: 'shop', exportTo: ['b'] })]), cluster('b', [rule({ namespace: 'tools', exportTo: ['a'] })])]);

test('requiredAccess: reads everywhere, writes where an export lands, namespaces when created, the lease on its cluster', () => {
  const one = config([cluster('a', [rule({ namespace: 'shop', exportTo: ['b'] })]), cluster('b'), cluster('c')], { leaderElection: { ...cfg.leaderElection, cluster: 'c', namespace: 'mcsync' } });
  const fmt = (c: string, cc = one) => requiredAccess(cc, c).map((n) => `${n.verb} ${n.resource}${n.namespace ? ` in ${n.namespace}` : ''} (${n.purpose})`);
  const reads = ['get services (sync)', 'list services (sync)', 'watch services (sync)', 'get endpointslices (sync)', 'list endpointslices (sync)', 'watch endpointslices (sync)', 'list namespaces (sync)', 'watch namespaces (sync)'];
  assert.deepEqual(fmt('a'), [...reads, 'list nodes (sync)', 'watch nodes (sync)', 'create events (sync)'], 'a source that is no destination reads (cluster-wide: sync reads every cluster as a destination), its Nodes too, and reports rejected endpoints');
  assert.deepEqual(fmt('a', config([cluster('a', [rule({ namespace: 'shop', exportTo: ['b'] })], { podCIDRs: ['10.1.0.0/16'] }), cluster('b')])).filter((n) => n.includes('nodes')), [], 'podCIDRs in the config: no Node is read');
  assert.deepEqual(fmt('b'), [...reads, 'create services (sync)', 'update services (sync)', 'delete services (sync)', 'create endpointslices (sync)', 'update endpointslices (sync)', 'delete endpointslices (sync)', 'create namespaces (sync)']);
  assert.deepEqual(fmt('c'), [...reads, 'get leases in mcsync (lease)', 'create leases in mcsync (lease)', 'update leases in mcsync (lease)']);
  assert.ok(!fmt('b', { ...one, createNamespaces: false }).includes('create namespaces (sync)'));
});

test('describeFailure says why, in words a person can act on', () => {
  assert.deepEqual(describeFailure(new KubeConnectionError('refused', 'connection to https://x:9 refused: nothing listens there')).reason, 'refused');
  assert.match(describeFailure(new KubeConnectionError('refused', 'connection to https://x:9 refused')).message, /refused: check that the apiserver is up/);
  assert.equal(describeFailure(new KubeConnectionError('dns', 'cannot resolve')).reason, 'dns');
  assert.equal(describeFailure(new KubeConnectionError('tls', 'TLS failed')).reason, 'tls');
  assert.equal(describeFailure(new KubeConnectionError('auth-plugin', 'cannot get credentials for a: exec failed\nstack')).reason, 'auth-plugin');
  assert.doesNotMatch(describeFailure(new KubeConnectionError('auth-plugin', 'exec failed\nsecond line')).message, /\n/, 'one line');
  const expired = describeFailure(new KubeApiError(401, 'Unauthorized', 'GET /version on a: 401 Unauthorized'));
  assert.equal(expired.reason, 'unauthorized');
  assert.match(expired.message, /401.*expired/);
  assert.equal(describeFailure(new KubeApiError(503, 'ServiceUnavailable', 'GET /version: 503')).reason, 'http-503');
  assert.equal(describeFailure(new Error('kubeconfig has no cluster')).reason, 'kubeconfig');
});

test('healthy clusters with disjoint ranges: no failure', () => {
  const sources = [
    { ...source('a', [svc('shop', 'web')], [podSlice('shop', 'web', ['10.100.0.10'])]), podCidrs: ['10.100.0.0/24', '10.100.1.0/24'] },
    { ...source('b', [svc('tools', 'api')], [podSlice('tools', 'api', ['10.101.0.10'])]), podCidrs: ['10.101.0.0/16'] },
  ];
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/24', '10.100.1.0/24']), healthy(cfg, 'b', ['10.101.0.0/16'])], plan: planReport({ sources }) });
  assert.match(get(r.checks, 'endpoint-guard', 'a').message, /^endpoints bounded by 10\.100\.0\.0\/24, 10\.100\.1\.0\/24 \(the Nodes' spec\.podCIDRs\); nothing rejected/);
  assert.deepEqual(r.checks.filter((c) => c.result === 'fail'), []);
  assert.equal(get(r.checks, 'pod-cidr-overlap', 'fleet').result, 'pass');
  assert.equal(get(r.checks, 'pod-ip-overlap', 'fleet').result, 'pass');
  assert.match(get(r.checks, 'pod-cidrs', 'a').message, /10\.100\.0\.0\/24, 10\.100\.1\.0\/24 \(2 node\(s\)\); 1 pod IP/);
  assert.equal(get(r.checks, 'lease-permissions', 'a').result, 'pass');
  assert.equal(r.checks.filter((c) => c.name === 'lease-permissions').length, 1, 'only the lease cluster');
  assert.equal(get(r.checks, 'mcs-crds', 'a').result, 'info');
  assert.match(get(r.checks, 'service-cidr-overlap', 'fleet').message, /a and b share 10\.96\.0\.1/);
  assert.equal(get(r.checks, 'service-cidr-overlap', 'fleet').result, 'info', 'overlapping service CIDRs are fine');
  assert.deepEqual(r.summary, { pass: r.checks.filter((c) => c.result === 'pass').length, warn: 0, fail: 0, info: r.checks.filter((c) => c.result === 'info').length });
});

test('each reachable cluster gets a server-version check; one older than the oldest supported minor warns, an unreachable one skips it', () => {
  const old = healthy(cfg, 'b', ['10.200.0.0/16'], { reach: { ok: true, version: 'v1.29.4', server: 'https://b:6443' } });
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/16']), old], plan: planReport() });
  assert.equal(get(r.checks, 'server-version', 'a').result, 'pass');
  assert.equal(get(r.checks, 'server-version', 'b').result, 'warn');
  assert.deepEqual(r.checks.filter((c) => c.name === 'server-version' && c.result === 'warn').map((c) => c.scope), ['b']);
  const down: ClusterFacts = { cluster: 'b', reach: { ok: false, reason: 'refused', message: 'connection refused' } };
  const skipped = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/16']), down], plan: planReport() });
  assert.deepEqual([get(skipped.checks, 'server-version', 'b').result, get(skipped.checks, 'server-version', 'b').message], ['info', 'skipped: unavailable']);
});

test('overlapping node pod CIDRs, a pod IP in another cluster\'s range and one IP in two clusters all fail, naming IP and clusters', () => {
  const sources = [
    source('a', [], [podSlice('shop', 'web', ['10.100.0.10', '10.9.9.9'])]),
    source('b', [], [podSlice('tools', 'api', ['10.100.0.200', '10.9.9.9'])]),
  ];
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/16']), healthy(cfg, 'b', ['10.101.0.0/16', '10.100.0.0/24'])], plan: planReport({ sources }) });
  const cidr = get(r.checks, 'pod-cidr-overlap', 'fleet');
  assert.equal(cidr.result, 'fail');
  assert.match(cidr.message, /^Node pod CIDRs overlap: a 10\.100\.0\.0\/16 and b 10\.100\.0\.0\/24: /);
  const ips = get(r.checks, 'pod-ip-overlap', 'fleet');
  assert.equal(ips.result, 'fail');
  assert.match(ips.message, /10\.100\.0\.200 \(a pod of b in tools\/api\) lies in a's pod CIDR 10\.100\.0\.0\/16/);
  assert.match(ips.message, /10\.9\.9\.9 is a pod IP in a \(shop\/web\) and b \(tools\/api\)/);
  assert.equal(get(r.checks, 'pod-cidrs', 'a').result, 'warn', '10.9.9.9 is outside a\'s node CIDRs');
});

test('only endpoints backed by a Pod count as pod IPs; IPv6 is compared too', () => {
  const manual = slice('tools', 'db', 'db-manual', [ep('10.100.0.5')]);
  const v6 = slice('tools', 'v6', 'v6-x', [ep('fd00:10:100::5', { targetRef: { kind: 'Pod', name: 'v6-0' } })], { addressType: 'IPv6' });
  const sources = [source('a', []), source('b', [], [manual, v6])];
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/16', 'fd00:10:100::/48']), healthy(cfg, 'b', ['10.101.0.0/16', 'fd00:10:101::/48'])], plan: planReport({ sources }) });
  const ips = get(r.checks, 'pod-ip-overlap', 'fleet');
  assert.equal(ips.result, 'fail');
  assert.match(ips.message, /^fd00:10:100::5 \(a pod of b in tools\/v6\) lies in a's pod CIDR fd00:10:100::\/48/);
  assert.doesNotMatch(ips.message, /10\.100\.0\.5/, 'a manual endpoint is not known to be a pod');
});

test('an unreachable cluster fails once, its other checks say skipped, the rest is still judged', () => {
  const down: ClusterFacts = { cluster: 'b', reach: { ok: false, reason: 'refused', message: 'connection refused: check …' } };
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/16']), down], plan: planReport() });
  assert.deepEqual(r.checks.filter((c) => c.result === 'fail').map((c) => `${c.name}@${c.scope}`), ['reachable@b']);
  assert.deepEqual(get(r.checks, 'reachable', 'b').detail, { reason: 'refused' });
  const skipped = r.checks.filter((c) => c.scope === 'b' && c.name !== 'reachable');
  assert.ok(skipped.length >= 5);
  for (const c of skipped) assert.deepEqual([c.result, c.message], ['info', 'skipped: unavailable'], c.name);
  assert.equal(get(r.checks, 'permissions', 'a').result, 'pass');
  assert.match(get(r.checks, 'pod-cidr-overlap', 'fleet').message, /not compared: b unavailable/);
});

test('missing permissions fail and are listed; unanswerable reviews warn; missing lease rights only warn', () => {
  const facts = healthy(cfg, 'b', []);
  facts.access = facts.access!.map((a) => ({ ...a, allowed: ok(!['create', 'update', 'delete'].includes(a.need.verb)) }));
  const lease = healthy(cfg, 'a', []);
  lease.access = lease.access!.map((a) => ({ ...a, allowed: ok(a.need.purpose !== 'lease') }));
  const r = evaluate({ config: cfg, facts: [lease, facts], plan: planReport() });
  const perms = get(r.checks, 'permissions', 'b');
  assert.equal(perms.result, 'fail');
  assert.equal(perms.message.split(':')[0], 'missing create events, create/update/delete services, create/update/delete endpointslices.discovery.k8s.io, create namespaces');
  assert.equal(get(r.checks, 'lease-permissions', 'a').result, 'warn');
  assert.match(get(r.checks, 'lease-permissions', 'a').message, /get\/create\/update leases\.coordination\.k8s\.io in kube-system: only `mcsync run --leader-elect`/);

  const blind = healthy(cfg, 'b', []);
  blind.access = blind.access!.map((a) => ({ ...a, allowed: no(403, 'selfsubjectaccessreviews is forbidden') }));
  assert.equal(get(evaluate({ config: cfg, facts: [healthy(cfg, 'a', []), blind], plan: planReport() }).checks, 'permissions', 'b').result, 'warn');
});

test('API discovery: no EndpointSlice API fails; no Lease API warns on the lease cluster only; MCS CRDs are information', () => {
  const a = healthy(cfg, 'a', [], { discovery: { endpointslices: no(404), leases: no(404), mcs: ok(['serviceexports', 'serviceimports']) } });
  const b = healthy(cfg, 'b', [], { discovery: { endpointslices: ok(['endpointslices']), leases: ok([]), mcs: no(404) } });
  const r = evaluate({ config: cfg, facts: [a, b], plan: planReport() });
  assert.equal(get(r.checks, 'api-endpointslices', 'a').result, 'fail');
  assert.equal(get(r.checks, 'api-leases', 'a').result, 'warn');
  assert.equal(get(r.checks, 'api-leases', 'b').result, 'info');
  assert.match(get(r.checks, 'mcs-crds', 'a').message, /served \(serviceexports, serviceimports\)/);
  assert.match(get(r.checks, 'mcs-crds', 'b').message, /absent/);
});

test('with mcs: true the CRDs must be served: v1beta1 missing fails, v1alpha1 missing warns (CoreDNS reads it), both pass', () => {
  const on = { ...cfg, mcs: true };
  const both = ok(['serviceexports', 'serviceimports']);
  const a = healthy(on, 'a', [], { discovery: { endpointslices: ok(['endpointslices']), leases: ok(['leases']), mcs: both, mcsBeta: both } });
  const b = healthy(on, 'b', [], { discovery: { endpointslices: ok(['endpointslices']), leases: ok(['leases']), mcs: no(404), mcsBeta: no(404) } });
  const c = healthy(on, 'c', [], { discovery: { endpointslices: ok(['endpointslices']), leases: ok(['leases']), mcs: no(404), mcsBeta: both } });
  const r = evaluate({ config: on, facts: [a, b, c], plan: planReport() });
  assert.equal(get(r.checks, 'mcs-crds', 'a').result, 'pass');
  assert.equal(get(r.checks, 'mcs-crds', 'b').result, 'fail');
  assert.match(get(r.checks, 'mcs-crds', 'b').message, /kubectl apply -f deploy\/mcs\/crds\//);
  assert.equal(get(r.checks, 'mcs-crds', 'c').result, 'warn');
});

test('nodes that may not be listed or carry no podCIDR are a warning and a note, never a failure', () => {
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', [], { nodeCidrs: no(403, 'nodes is forbidden') }), healthy(cfg, 'b', [])], plan: planReport() });
  assert.equal(get(r.checks, 'pod-cidrs', 'a').result, 'warn');
  assert.match(get(r.checks, 'pod-cidrs', 'a').message, /403/);
  assert.equal(get(r.checks, 'pod-cidrs', 'b').result, 'info');
  assert.match(get(r.checks, 'pod-cidrs', 'b').message, /no Node has spec\.podCIDR/);
  assert.equal(get(r.checks, 'pod-cidr-overlap', 'fleet').result, 'info');
});

test('namespaces: missing with createNamespaces false fails; to be created is information', () => {
  const conflicts: Conflict[] = [{ kind: 'missing-namespace', cluster: 'b', namespace: 'shop', name: 'web', message: 'namespace shop is missing' }];
  const strict = { ...cfg, createNamespaces: false };
  const r = evaluate({ config: strict, facts: [healthy(strict, 'a', []), healthy(strict, 'b', [])], plan: planReport({ conflicts }) });
  assert.equal(get(r.checks, 'namespaces', 'b').result, 'fail');
  assert.match(get(r.checks, 'namespaces', 'b').message, /shop.*createNamespaces is false/);
  assert.equal(get(r.checks, 'namespaces', 'a').result, 'pass');

  const create: Action = { verb: 'create', cluster: 'b', key: 'shop/x', ref: { kind: 'Namespace', name: 'shop' }, object: { metadata: { name: 'shop' } }, reason: 'namespace missing' };
  const r2 = evaluate({ config: cfg, facts: [healthy(cfg, 'a', []), healthy(cfg, 'b', [])], plan: planReport({ actions: [create] }) });
  assert.equal(get(r2.checks, 'namespaces', 'b').result, 'info');
  assert.match(get(r2.checks, 'namespaces', 'b').message, /shop will be created/);
});

test('replicas whose source is gone warn; type changes are not counted; replicas of unavailable sources are named as not judged', () => {
  const replica = (name: string, sources: string) => svc('shop', name, { labels: ownershipLabels('default'), annotations: { [SOURCES]: sources } });
  const del = (name: string, reason: string): Action => ({ verb: 'delete', cluster: 'b', key: `shop/${name}`, ref: { kind: 'Service', namespace: 'shop', name }, reason });
  const actions: Action[] = [
    del('gone', 'source gone'),
    del('retyped', 'type changed'),
    { verb: 'create', cluster: 'b', key: 'shop/retyped', ref: { kind: 'Service', namespace: 'shop', name: 'retyped' }, object: svc('shop', 'retyped'), reason: 'type changed' },
    { verb: 'delete', cluster: 'b', key: 'shop/gone', ref: { kind: 'EndpointSlice', namespace: 'shop', name: 'x' }, reason: 'endpoints gone' },
  ];
  const three = config([...cfg.clusters, cluster('c', [rule({ exportTo: ['b'] })])]);
  const destinations = [destination('b', ['shop'], [replica('gone', 'a'), replica('retyped', 'a'), replica('far', 'c')])];
  const down: ClusterFacts = { cluster: 'c', reach: { ok: false, reason: 'timeout', message: 'no answer' } };
  const r = evaluate({ config: three, facts: [healthy(three, 'a', []), healthy(three, 'b', []), down], plan: planReport({ actions, destinations, unavailable: ['c'] }) });
  const o = get(r.checks, 'orphaned-replicas', 'b');
  assert.equal(o.result, 'warn');
  assert.match(o.message, /^1 replica\(s\) would be collected by the next sync .*: shop\/gone; .*1 replica\(s\) of unavailable sources not judged/);
  assert.equal(get(r.checks, 'orphaned-replicas', 'a').result, 'pass');
});

test('a cluster whose objects cannot be read warns in the checks that need them', () => {
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/16']), healthy(cfg, 'b', ['10.101.0.0/16'])], plan: planReport({ failures: [{ cluster: 'b', stage: 'read', error: 'GET /api/v1/services on b: 403 Forbidden' }] }) });
  assert.equal(get(r.checks, 'namespaces', 'b').result, 'warn');
  assert.equal(get(r.checks, 'orphaned-replicas', 'b').result, 'warn');
  assert.match(get(r.checks, 'pod-cidrs', 'b').message, /pod IPs unknown \(GET \/api\/v1\/services on b: 403 Forbidden\)/);
});

test('pull mode (--local-cluster b): writes are asked of b only, b holds the Lease, namespaces and orphans are judged only there', () => {
  const mode = { localCluster: 'b' };
  const pullHealthy = (name: string) => ({ ...healthy(cfg, name, []), access: requiredAccess(cfg, name, mode).map((need) => ({ need, allowed: ok(true) })) });
  const r = evaluate({ config: cfg, facts: [pullHealthy('a'), pullHealthy('b')], plan: planReport(), mode });
  assert.deepEqual(r.checks.filter((c) => c.name === 'lease-permissions').map((c) => c.scope), ['b']);
  assert.deepEqual(r.checks.filter((c) => c.name === 'namespaces').map((c) => c.scope), ['b']);
  assert.deepEqual(r.checks.filter((c) => c.name === 'orphaned-replicas').map((c) => c.scope), ['b'], 'only b is read for replicas to collect');
  assert.equal(get(r.checks, 'api-leases', 'a').result, 'pass');
  assert.match(get(r.checks, 'permissions', 'a').message, /^all 6 permission\(s\)/, 'a is only read, in the namespace it exports');
  assert.ok(!requiredAccess(cfg, 'a', mode).some((n) => ['create', 'update', 'delete'].includes(n.verb)));
  const down: ClusterFacts = { cluster: 'b', reach: { ok: false, reason: 'refused', message: 'connection refused' } };
  const skipped = evaluate({ config: cfg, facts: [pullHealthy('a'), down], plan: planReport(), mode }).checks.filter((c) => c.scope === 'b' && c.name !== 'reachable').map((c) => c.name);
  assert.ok(skipped.includes('lease-permissions') && skipped.includes('namespaces'), skipped.join(' '));
});

test('endpoint guard: rejections warn with the reason and address; unknown ranges warn that the guard is off', () => {
  const sources = [{ ...source('a', [svc('shop', 'web')]), podCidrs: ['10.100.0.0/16'] }, source('b', [svc('tools', 'api')])];
  const rejected = [{ cluster: 'a', namespace: 'shop', name: 'web', reason: 'link-local' as const, what: '169.254.169.254', count: 1 }];
  const r = evaluate({ config: cfg, facts: [healthy(cfg, 'a', ['10.100.0.0/16']), healthy(cfg, 'b', [])], plan: planReport({ sources, rejected }) });
  assert.deepEqual([get(r.checks, 'endpoint-guard', 'a').result, get(r.checks, 'endpoint-guard', 'a').message],
    ['warn', "endpoints bounded by 10.100.0.0/16 (the Nodes' spec.podCIDRs); dropped 1 link-local (169.254.169.254)"]);
  assert.equal(get(r.checks, 'endpoint-guard', 'b').result, 'warn');
  assert.match(get(r.checks, 'endpoint-guard', 'b').message, /^guard off: no pod CIDRs known/);
});

test('routing: IPv6 endpoints behind a replica given IPv4 only warn, an internalTrafficPolicy of Local is information, a plain replica passes', () => {
  const replica = (name: string, spec: Partial<ReturnType<typeof svc>['spec']>) =>
    svc('shop', name, { labels: ownershipLabels('default'), annotations: { [SOURCES]: 'a' }, spec: { selector: undefined, ipFamilies: ['IPv4'], ...spec } });
  const source = (name: string, spec: Partial<ReturnType<typeof svc>['spec']>, slices: ReturnType<typeof slice>[]) =>
    ({ sourceCluster: 'a', service: svc('shop', name, { spec }), slices, destinations: ['b'], conflictPolicy: 'skip' as const, stampLabels: {}, stampAnnotations: {} });
  const v6 = slice('shop', 'web', 'web-6', [ep('fd00:1::1')], { addressType: 'IPv6' });
  const judge = (exports: PlanReport['exports'], services: ReturnType<typeof svc>[]) =>
    get(evaluate({ config: cfg, facts: [healthy(cfg, 'a', []), healthy(cfg, 'b', [])], plan: { ...planReport({ destinations: [destination('b', ['shop'], services)] }), exports } }).checks, 'routing', 'b');
  const family = judge([source('web', { ipFamilyPolicy: 'RequireDualStack' }, [v6])], [replica('web', { ipFamilyPolicy: 'PreferDualStack' })]);
  assert.equal(family.result, 'warn');
  assert.match(family.message, /shop\/web: IPv6 endpoints are not reachable through the ClusterIP here/);
  const local = judge([source('web', { internalTrafficPolicy: 'Local' }, [])], [replica('web', { internalTrafficPolicy: 'Local' })]);
  assert.equal(local.result, 'info');
  assert.match(local.message, /kube-proxy here drops/);
  assert.equal(judge([source('web', {}, [slice('shop', 'web', 'web-4', [ep('10.1.0.1')])])], [replica('web', {})]).result, 'pass');
  const users = svc('shop', 'web', { spec: { internalTrafficPolicy: 'Local' } });
  assert.equal(judge([source('web', { internalTrafficPolicy: 'Local' }, [v6])], [users]).result, 'pass', 'a user\'s Service replicas merge into is not judged: its own endpoints may be local');
});
