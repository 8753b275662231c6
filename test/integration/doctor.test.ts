// `mcsync doctor` against two real clusters: all green when healthy, and a failed check (exit 1)
// for each thing a flat network cannot live with: overlapping pod ranges, a cluster that cannot
// be reached, a credential that may not write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cmp } from '../../src/model/canonical.ts';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { runMcsync, writeConfig, type RunResult } from '../../harness/src/mcsync/cli.ts';
import { addressMap, apis, restrictedKubeconfig, serviceWithPod, slicesOf } from '../support/kube.ts';

interface Check {
  name: string;
  scope: string;
  result: 'pass' | 'warn' | 'fail' | 'info';
  message: string;
  detail?: Record<string, unknown>;
}

interface Report {
  checks: Check[];
  summary: Record<Check['result'], number>;
}

let set: ClusterSet;
let podsA: Pods, podsB: Pods;

function config(lines: string[]): string {
  return writeConfig(lines.join('\n') + '\n');
}

function cluster(name: string, exportsYaml: string[] = [], kubeconfig = set.get(name).kubeconfigPath): string[] {
  return [`- name: ${name}`, `  kubeconfig: ${kubeconfig}`, ...(exportsYaml.length ? ['  services:', ...exportsYaml.map((l) => `  ${l}`)] : [])];
}

async function doctorJson(cfg: string): Promise<{ r: RunResult; report: Report }> {
  const r = await runMcsync(['doctor', '--config', cfg, '-o', 'json']);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    assert.fail(`doctor printed no JSON (exit ${r.code})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return { r, report };
}

const find = (report: Report, name: string, scope: string): Check => {
  const c = report.checks.find((x) => x.name === name && x.scope === scope);
  assert.ok(c, `a ${name} check for ${scope} in ${JSON.stringify(report.checks.map((x) => `${x.name}@${x.scope}`))}`);
  return c;
};
const failures = (report: Report) => report.checks.filter((c) => c.result === 'fail');
const show = (report: Report) => JSON.stringify(report.checks, null, 1);

async function settled(name: string, ns: string, svc: string, want: number): Promise<void> {
  const api = apis(set.get(name));
  await waitFor(async () => Object.keys(addressMap(await slicesOf(api, ns, svc))).length === want, { what: `${want} endpoints for ${ns}/${svc}` });
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  podsA = new Pods(set.get('a'));
  podsB = new Pods(set.get('b'));
  await serviceWithPod(podsA, 'shop', 'web');
  await serviceWithPod(podsB, 'tools', 'api');
  await settled('a', 'shop', 'web', 1);
  await settled('b', 'tools', 'api', 1);
});

after(() => set?.down());

describe('mcsync doctor', () => {
  test('healthy clusters: every check passes or informs, exit 0', async () => {
    const cfg = config(['instance: doc-ok', 'clusters:', ...cluster('a', ['- namespace: shop']), ...cluster('b', ['- namespace: tools'])]);
    const { r, report } = await doctorJson(cfg);
    assert.equal(r.code, 0, `exit ${r.code}\n${show(report)}\n${r.stderr}`);
    assert.deepEqual(failures(report), []);
    assert.equal(report.summary.fail, 0);
    for (const name of ['reachable', 'api-endpointslices', 'permissions', 'pod-cidrs']) {
      for (const c of ['a', 'b']) assert.equal(find(report, name, c).result, 'pass', `${name}@${c}: ${find(report, name, c).message}`);
    }
    assert.match(find(report, 'reachable', 'a').message, /v1\.\d+/);
    assert.match(find(report, 'pod-cidrs', 'a').message, /10\.100\.0\.0\/16/);
    assert.match(find(report, 'pod-cidrs', 'b').message, /10\.101\.0\.0\/16/);
    assert.equal(find(report, 'pod-cidr-overlap', 'fleet').result, 'pass');
    assert.equal(find(report, 'pod-ip-overlap', 'fleet').result, 'pass');
    assert.equal(find(report, 'mcs-crds', 'a').result, 'info');
    assert.match(find(report, 'mcs-crds', 'a').message, /absent/);
    assert.match(find(report, 'service-cidr', 'a').message, /10\.200\.0\.1/);
    assert.equal(find(report, 'service-cidr-overlap', 'fleet').result, 'info');
    assert.equal(find(report, 'namespaces', 'b').result, 'info', 'shop will be created in b');
    assert.match(find(report, 'namespaces', 'b').message, /shop/);
    assert.equal(report.summary.pass + report.summary.warn + report.summary.fail + report.summary.info, report.checks.length);

    const t = await runMcsync(['doctor', '--config', cfg]);
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /^CHECK\s+SCOPE\s+RESULT\s+MESSAGE/m);
    assert.match(t.stdout, /^pod-cidr-overlap\s+fleet\s+pass\s+/m);
    assert.match(t.stdout, /\d+ pass, \d+ warn, 0 fail, \d+ info/);
  });

  test('a cluster that cannot be reached is a failed check with its reason; the others are still checked', async () => {
    const dead = writeConfig(readFileSync(set.get('b').kubeconfigPath, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9'), 'dead.kubeconfig');
    const cfg = config(['instance: doc-dead', 'clusters:', ...cluster('a', ['- namespace: shop']), ...cluster('b', ['- namespace: tools'], dead)]);
    const { r, report } = await doctorJson(cfg);
    assert.equal(r.code, 1, `exit ${r.code}\n${show(report)}`);
    const reach = find(report, 'reachable', 'b');
    assert.equal(reach.result, 'fail');
    assert.equal(reach.detail?.['reason'], 'refused');
    assert.match(reach.message, /refused/);
    assert.equal(find(report, 'permissions', 'b').message, 'skipped: unavailable');
    assert.equal(find(report, 'permissions', 'b').result, 'info');
    assert.equal(find(report, 'reachable', 'a').result, 'pass');
    assert.equal(find(report, 'permissions', 'a').result, 'pass');
    assert.equal(find(report, 'pod-cidrs', 'a').result, 'pass');
    assert.deepEqual(failures(report).map((c) => `${c.name}@${c.scope}`), ['reachable@b']);
  });

  test('a credential without write verbs fails the permissions check, naming what is missing', async () => {
    const readOnly = await restrictedKubeconfig(set.get('b'), 'doctor-read-only', [
      { apiGroups: [''], resources: ['services', 'namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ], writeConfig('', 'b-read-only.kubeconfig'));
    const cfg = config(['instance: doc-rbac', 'clusters:', ...cluster('a', ['- namespace: shop']), ...cluster('b', ['- namespace: tools'], readOnly)]);
    const { r, report } = await doctorJson(cfg);
    assert.equal(r.code, 1, `exit ${r.code}\n${show(report)}`);
    const perms = find(report, 'permissions', 'b');
    assert.equal(perms.result, 'fail');
    assert.match(perms.message, /create\/update\/delete services[,:]/);
    assert.match(perms.message, /create\/update\/delete endpointslices\.discovery\.k8s\.io/);
    assert.match(perms.message, /create namespaces/);
    assert.doesNotMatch(perms.message, /list (services|endpointslices|namespaces)/, 'what it has is not listed as missing');
    const missing = (perms.detail?.['missing'] as { verb: string; resource: string }[]).map((m) => `${m.verb} ${m.resource}`).sort(cmp);
    // The credential predates the endpoint guard (list and watch nodes) and its Events (create events).
    assert.deepEqual(missing, ['create endpointslices', 'create events', 'create namespaces', 'create services', 'delete endpointslices', 'delete services', 'list nodes', 'update endpointslices', 'update services', 'watch nodes']);
    assert.equal(find(report, 'permissions', 'a').result, 'pass');
    assert.equal(find(report, 'pod-cidrs', 'b').result, 'warn', 'nodes may not be listed: said so, not failed');
    assert.match(find(report, 'pod-cidrs', 'b').message, /403/);
  });

  test('overlapping pod CIDRs and a pod IP inside another cluster\'s range fail the fleet checks, naming both clusters', async () => {
    // The injected fault: a node of b allocated from a's range, and a pod of b with an address in it.
    await podsB.core.createNode({ body: { metadata: { name: 'b-stray' }, spec: { podCIDR: '10.100.0.0/24', podCIDRs: ['10.100.0.0/24'] } } });
    await podsB.ensureNamespace('tools');
    await podsB.create({ namespace: 'tools', name: 'api-stray', labels: { app: 'api' }, ip: '10.100.0.200', nodeName: 'b-stray' });
    await settled('b', 'tools', 'api', 2);
    const cfg = config(['instance: doc-overlap', 'clusters:', ...cluster('a', ['- namespace: shop']), ...cluster('b', ['- namespace: tools'])]);
    const { r, report } = await doctorJson(cfg);
    assert.equal(r.code, 1, `exit ${r.code}\n${show(report)}`);
    const cidr = find(report, 'pod-cidr-overlap', 'fleet');
    assert.equal(cidr.result, 'fail');
    assert.match(cidr.message, /\ba 10\.100\.0\.0\/16\b.*\bb 10\.100\.0\.0\/24/);
    const ips = find(report, 'pod-ip-overlap', 'fleet');
    assert.equal(ips.result, 'fail');
    assert.match(ips.message, /10\.100\.0\.200 \(a pod of b in tools\/api\) lies in a's pod CIDR 10\.100\.0\.0\/16/);
    const conflicts = ips.detail?.['conflicts'] as { ip: string; clusters: string[] }[];
    assert.deepEqual(conflicts.find((c) => c.ip === '10.100.0.200')?.clusters, ['b', 'a']);
    // a's own pod now lies in the stray node's range of b as well: the overlap cuts both ways.
    for (const c of conflicts) assert.deepEqual([...c.clusters].sort(), ['a', 'b'], c.ip);
    for (const c of failures(report)) assert.equal(c.scope, 'fleet', `${c.name}@${c.scope}: ${c.message}`);

    const t = await runMcsync(['doctor', '--config', cfg]);
    assert.equal(t.code, 1);
    assert.match(t.stdout, /^pod-cidr-overlap\s+fleet\s+fail\s+Node pod CIDRs overlap/m);
  });
});
