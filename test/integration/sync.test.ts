// `mcsync sync / plan / status / prune` against three real clusters, through the CLI a user runs.
// Each scenario uses its own mcsync `instance`, so one scenario's garbage collection never
// sees another's replicas.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { EKS_SERVICES, ON_PREM_SERVICES, deployExample } from '../../harness/src/workload/examples/stars.ts';
import { writeCount } from '../../harness/src/observe/metrics.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { addressMap, apis, getService, restrictedKubeconfig, slicesOf, sorted, REPLICA_SLICES, type Apis, sourceSettled } from '../support/kube.ts';
import { ok } from '../support/mcsync.ts';

const RESOURCES = ['services', 'endpointslices', 'namespaces'];

let set: ClusterSet;
let A: Apis, B: Apis, C: Apis;
let podsA: Pods, podsB: Pods;

function config(lines: string[]): string {
  return writeConfig(lines.join('\n') + '\n');
}

function cluster(name: string, exportsYaml: string[] = []): string[] {
  const c = set.get(name);
  return [`- name: ${name}`, `  kubeconfig: ${c.kubeconfigPath}`, ...(exportsYaml.length ? ['  services:', ...exportsYaml.map((l) => `  ${l}`)] : [])];
}

async function totalWrites(): Promise<number> {
  let n = 0;
  for (const c of set.clusters) n += await writeCount(c, RESOURCES);
  return n;
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b', 'c'] });
  [A, B, C] = ['a', 'b', 'c'].map((n) => apis(set.get(n))) as [Apis, Apis, Apis];
  podsA = new Pods(set.get('a'));
  podsB = new Pods(set.get('b'));
});

after(() => set?.down());

describe('the seed\'s stars example, both ways', () => {
  let cfg: string;
  let backendIps: Record<string, boolean>;

  before(async () => {
    await deployExample(set.get('a'), ON_PREM_SERVICES);
    await deployExample(set.get('b'), EKS_SERVICES);
    backendIps = await sourceSettled(A, 'stars', 'backend', 2);
    await sourceSettled(A, 'stars', 'frontend', 2);
    await sourceSettled(B, 'management-ui', 'management-ui', 1);
    await sourceSettled(B, 'client', 'client', 1);
    cfg = config(['instance: stars', 'clusters:',
      ...cluster('a', ['- namespace: stars']),
      ...cluster('b', ['- namespace: management-ui', '- namespace: client']),
      ...cluster('c')]);
  });

  test('sync makes selectorless replicas with the source pod IPs in every other cluster', async () => {
    ok(await runMcsync(['sync', '--config', cfg]));
    for (const dest of [B, C]) {
      const svc = await getService(dest, 'stars', 'backend');
      assert.ok(svc, 'replica exists');
      assert.equal(svc.spec?.selector, undefined);
      assert.equal(svc.spec?.type, 'ClusterIP');
      assert.deepEqual(svc.spec?.ports?.map((p) => [p.port, p.protocol]), [[6379, 'TCP']]);
      assert.equal(svc.metadata?.labels?.['mcsync.io/managed-by'], 'mcsync');
      const slices = await slicesOf(dest, 'stars', 'backend');
      assert.deepEqual(addressMap(slices), backendIps);
      for (const s of slices) {
        assert.equal(s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'mcsync.io');
        assert.equal(s.metadata?.labels?.['multicluster.kubernetes.io/source-cluster'], 'a');
        assert.equal(s.metadata?.labels?.['multicluster.kubernetes.io/service-name'], 'backend');
        for (const e of s.endpoints ?? []) {
          assert.equal(e.nodeName, undefined, 'nodeName names a remote node and is dropped');
          assert.equal(e.targetRef, undefined, 'targetRef names a remote pod and is dropped');
        }
        assert.match(s.metadata?.annotations?.['mcsync.io/endpoint-origins'] ?? '', /stars\/backend-0/);
      }
    }
    const ns = await B.core.readNamespace({ name: 'stars' });
    assert.equal(ns.metadata?.labels?.['mcsync.io/created-namespace'], 'true', 'the missing namespace was created and labelled');
    const ui = await getService(A, 'management-ui', 'management-ui');
    assert.equal(ui?.spec?.type, 'ClusterIP', 'a LoadBalancer source becomes a ClusterIP replica');
    assert.equal(ui?.spec?.ports?.[0]?.nodePort, undefined, 'no node port crosses');
    assert.deepEqual(Object.values(addressMap(await slicesOf(A, 'management-ui', 'management-ui', REPLICA_SLICES))), [true]);
    assert.equal((await slicesOf(A, 'management-ui', 'management-ui'))[0]?.ports?.[0]?.port, 9001, 'the slice carries the resolved target port');
    assert.ok(await getService(C, 'client', 'client'));
    assert.equal(await getService(A, 'stars', 'backend').then((s) => s?.metadata?.labels?.['mcsync.io/managed-by']), undefined, 'the source itself is not touched');
  });

  test('a second sync with nothing changed makes zero writes, by the apiservers\' own count', async () => {
    const before = await totalWrites();
    const r = ok(await runMcsync(['sync', '--config', cfg, '-o', 'json']));
    const report = JSON.parse(r.stdout) as { actions: unknown[] };
    assert.deepEqual(report.actions, []);
    assert.equal(await totalWrites() - before, 0);
    const plan = ok(await runMcsync(['plan', '--config', cfg]));
    assert.match(plan.stdout, /nothing to do/);
  });

  test('status lists every export with its ready endpoints and in-sync replicas', async () => {
    const r = ok(await runMcsync(['status', '--config', cfg, '-o', 'json']));
    const rows = (JSON.parse(r.stdout) as { services: { namespace: string; name: string; sources: string[]; endpoints: { ready: number; total: number }; destinations: { cluster: string; state: string }[] }[] }).services;
    const backend = rows.find((x) => x.name === 'backend')!;
    assert.deepEqual(backend.sources, ['a']);
    assert.deepEqual(backend.endpoints, { ready: 2, total: 2 });
    assert.deepEqual(backend.destinations.map((d) => [d.cluster, d.state]), [['b', 'in-sync'], ['c', 'in-sync']]);
    assert.deepEqual(sorted(rows.map((x) => `${x.namespace}/${x.name}`)), ['client/client', 'management-ui/management-ui', 'stars/backend', 'stars/frontend']);
    const table = ok(await runMcsync(['status', '--config', cfg]));
    assert.match(table.stdout, /^NAMESPACE\s+SERVICE\s+SOURCES\s+READY\/TOTAL\s+DESTINATION\s+STATE/m);
  });

  test('a changed pod and a deleted source Service reach the replicas on the next sync', async () => {
    await podsA.setReady('stars', 'backend-0', false);
    const moved = await podsA.changeIp('stars', 'backend-1');
    await podsA.core.deleteNamespacedService({ namespace: 'stars', name: 'frontend' });
    const want = await waitFor(async () => {
      const m = addressMap(await slicesOf(A, 'stars', 'backend'));
      return m[moved.status!.podIP!] === true && Object.keys(m).length === 2 && Object.values(m).includes(false) ? m : undefined;
    }, { what: 'source slices after churn' });
    const r = ok(await runMcsync(['plan', '--config', cfg]));
    assert.match(r.stdout, /delete\s+Service\s+stars\/frontend/);
    ok(await runMcsync(['sync', '--config', cfg]));
    for (const dest of [B, C]) {
      assert.deepEqual(addressMap(await slicesOf(dest, 'stars', 'backend')), want);
      assert.equal(await getService(dest, 'stars', 'frontend'), undefined, 'replica of the deleted source is collected');
      assert.deepEqual(await slicesOf(dest, 'stars', 'frontend'), []);
    }
    const before = await totalWrites();
    ok(await runMcsync(['sync', '--config', cfg]));
    assert.equal(await totalWrites() - before, 0);
  });

  test('prune removes every replica of this instance and nothing else', async () => {
    const r = ok(await runMcsync(['prune', '--config', cfg, '--cluster', 'c']));
    assert.match(r.stdout, /^c\s+\d+/m);
    assert.equal(await getService(C, 'stars', 'backend'), undefined);
    assert.ok(await getService(B, 'stars', 'backend'), 'other clusters keep theirs');
    ok(await runMcsync(['prune', '--config', cfg]));
    assert.equal(await getService(B, 'stars', 'backend'), undefined);
    assert.ok(await getService(A, 'stars', 'backend'), 'the source Service is not mcsync\'s and stays');
    assert.deepEqual((await slicesOf(A, 'management-ui', 'management-ui', REPLICA_SLICES)), []);
  });
});

describe('replica rules on awkward sources', () => {
  let cfg: string;
  const ns = 'edge';

  before(async () => {
    await podsA.ensureNamespace(ns);
    const svc = (name: string, spec: Record<string, unknown>) => podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec } });
    await svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] });
    for (const i of [0, 1]) await podsA.create({ namespace: ns, name: `db-${i}`, labels: { app: 'db' }, hostname: `db-${i}`, subdomain: 'db' });
    await svc('empty', { selector: { app: 'nothing' }, ports: [{ port: 80 }] });
    await svc('mixed', { selector: { app: 'mixed' }, ports: [{ port: 80 }] });
    await podsA.create({ namespace: ns, name: 'mixed-up', labels: { app: 'mixed' } });
    await podsA.create({ namespace: ns, name: 'mixed-down', labels: { app: 'mixed' }, ready: false });
    await svc('big', { selector: { app: 'big' }, ports: [{ port: 80 }] });
    for (let i = 0; i < 130; i++) await podsA.create({ namespace: ns, name: `big-${i}`, labels: { app: 'big' } });
    await svc('named', { selector: { app: 'named' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] });
    await podsA.create({ namespace: ns, name: 'named-0', labels: { app: 'named' }, ports: [{ name: 'http', containerPort: 8080 }] });
    await svc('np', { type: 'NodePort', selector: { app: 'mixed' }, ports: [{ port: 81 }] });
    await svc('ext', { type: 'ExternalName', externalName: 'db.example.internal' });
    await svc('v6', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });
    await A.discovery.createNamespacedEndpointSlice({ namespace: ns, body: {
      metadata: { name: 'v6-manual', labels: { 'kubernetes.io/service-name': 'v6', 'endpointslice.kubernetes.io/managed-by': 'someone-else' } },
      addressType: 'IPv6', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
      endpoints: [{ addresses: ['fd00:10:100::5'], conditions: { ready: true } }],
    } });
    await sourceSettled(A, ns, 'big', 130);
    await sourceSettled(A, ns, 'db', 2);
    await sourceSettled(A, ns, 'mixed', 2);
    await sourceSettled(A, ns, 'named', 1);
    cfg = config(['instance: edge', 'clusters:', ...cluster('a', [`- namespace: ${ns}`, '- namespace: default']), ...cluster('b')]);
    ok(await runMcsync(['sync', '--config', cfg]));
  });

  test('headless stays headless and keeps hostnames, so pod DNS names resolve', async () => {
    const svc = await getService(B, ns, 'db');
    assert.equal(svc?.spec?.clusterIP, 'None');
    const hostnames = (await slicesOf(B, ns, 'db')).flatMap((s) => (s.endpoints ?? []).map((e) => e.hostname));
    assert.deepEqual(sorted(hostnames as string[]), ['db-0', 'db-1']);
  });

  test('a Service with no endpoints gets a replica with no endpoints', async () => {
    assert.ok(await getService(B, ns, 'empty'));
    assert.deepEqual(addressMap(await slicesOf(B, ns, 'empty')), {});
  });

  test('not-ready endpoints cross with their condition', async () => {
    const m = addressMap(await slicesOf(B, ns, 'mixed'));
    assert.deepEqual(sorted(Object.values(m)), [false, true]);
  });

  test('130 endpoints are packed into slices of at most 100, every address once', async () => {
    const slices = await slicesOf(B, ns, 'big');
    assert.ok(slices.length >= 2);
    for (const s of slices) assert.ok((s.endpoints ?? []).length <= 100);
    const all = slices.flatMap((s) => (s.endpoints ?? []).map((e) => e.addresses[0]));
    assert.equal(all.length, 130);
    assert.equal(new Set(all).size, 130);
    assert.deepEqual(sorted(all as string[]), sorted(Object.keys(addressMap(await slicesOf(A, ns, 'big')))));
  });

  test('a named target port crosses as the source\'s resolved number under the service port\'s name', async () => {
    const [s] = await slicesOf(B, ns, 'named');
    assert.deepEqual(s?.ports?.map((p) => [p.name, p.port]), [['web', 8080]]);
    const svc = await getService(B, ns, 'named');
    assert.deepEqual(svc?.spec?.ports?.map((p) => [p.name, p.port]), [['web', 80]]);
  });

  test('NodePort becomes ClusterIP without node ports; ExternalName stays ExternalName', async () => {
    const np = await getService(B, ns, 'np');
    assert.equal(np?.spec?.type, 'ClusterIP');
    assert.equal(np?.spec?.ports?.[0]?.nodePort, undefined);
    const ext = await getService(B, ns, 'ext');
    assert.equal(ext?.spec?.type, 'ExternalName');
    assert.equal(ext?.spec?.externalName, 'db.example.internal');
    assert.deepEqual(await slicesOf(B, ns, 'ext'), []);
  });

  test('IPv6 endpoints keep their address type', async () => {
    const slices = await slicesOf(B, ns, 'v6');
    assert.deepEqual(slices.map((s) => s.addressType), ['IPv6']);
    assert.deepEqual(Object.keys(addressMap(slices)), ['fd00:10:100::5']);
  });

  test('default/kubernetes is never exported, even from a selected namespace', async () => {
    const k = await getService(B, 'default', 'kubernetes');
    assert.equal(k?.metadata?.labels?.['mcsync.io/managed-by'], undefined);
    const plan = ok(await runMcsync(['plan', '--config', cfg, '-o', 'json']));
    const excluded = (JSON.parse(plan.stdout) as { excluded: { namespace: string; name: string }[] }).excluded;
    assert.ok(excluded.some((e) => e.namespace === 'default' && e.name === 'kubernetes'));
  });
});

describe('one name exported from several clusters', () => {
  test('one replica in the third cluster, slices from both sources, the oldest export\'s ports win', async () => {
    await podsA.ensureNamespace('shop');
    await podsB.ensureNamespace('shop');
    await podsA.core.createNamespacedService({ namespace: 'shop', body: { metadata: { name: 'cart' }, spec: { selector: { app: 'cart' }, ports: [{ name: 'http', port: 80 }] } } });
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has one-second resolution
    await podsB.core.createNamespacedService({ namespace: 'shop', body: { metadata: { name: 'cart' }, spec: { selector: { app: 'cart' }, ports: [{ name: 'http', port: 8080 }] } } });
    const ipA = (await podsA.create({ namespace: 'shop', name: 'cart-a', labels: { app: 'cart' } })).status!.podIP!;
    const ipB = (await podsB.create({ namespace: 'shop', name: 'cart-b', labels: { app: 'cart' } })).status!.podIP!;
    await sourceSettled(A, 'shop', 'cart', 1);
    await sourceSettled(B, 'shop', 'cart', 1);
    const cfg = config(['instance: multi', 'clusters:', ...cluster('a', ['- namespace: shop', '  exportTo: [c]']), ...cluster('b', ['- namespace: shop', '  exportTo: [c]']), ...cluster('c')]);
    const r = ok(await runMcsync(['sync', '--config', cfg]));
    assert.match(r.stdout, /conflict: c: shop\/cart: .*port/i);
    const svc = await getService(C, 'shop', 'cart');
    assert.deepEqual(svc?.spec?.ports?.map((p) => p.port), [80], 'a exported first, so its ports win');
    const slices = await slicesOf(C, 'shop', 'cart');
    assert.deepEqual(sorted(slices.map((s) => s.metadata?.labels?.['multicluster.kubernetes.io/source-cluster'] ?? '')), ['a', 'b']);
    assert.deepEqual(sorted(Object.keys(addressMap(slices))), sorted([ipA, ipB]));
    assert.equal(await getService(A, 'shop', 'cart').then((s) => s?.metadata?.labels?.['mcsync.io/managed-by']), undefined, 'exportTo keeps a\'s own Service out of it');
  });
});

describe('a destination Service mcsync does not own', () => {
  let rvBefore: string;
  before(async () => {
    await podsA.ensureNamespace('own');
    await podsB.ensureNamespace('own');
    await podsA.core.createNamespacedService({ namespace: 'own', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } } });
    await podsA.create({ namespace: 'own', name: 'web-a', labels: { app: 'web' } });
    await podsB.core.createNamespacedService({ namespace: 'own', body: { metadata: { name: 'web', labels: { team: 'local' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } } });
    await podsB.create({ namespace: 'own', name: 'web-b', labels: { app: 'web' } });
    await sourceSettled(A, 'own', 'web', 1);
    await sourceSettled(B, 'own', 'web', 1);
    rvBefore = (await getService(B, 'own', 'web'))!.metadata!.resourceVersion!;
  });

  test('skip (the default) leaves it alone and reports the conflict', async () => {
    const cfg = config(['instance: own', 'clusters:', ...cluster('a', ['- namespace: own', '  exportTo: [b]']), ...cluster('b')]);
    const r = ok(await runMcsync(['sync', '--config', cfg]));
    assert.match(r.stdout, /conflict: b: own\/web/);
    assert.equal((await getService(B, 'own', 'web'))!.metadata!.resourceVersion, rvBefore);
    assert.deepEqual(await slicesOf(B, 'own', 'web', REPLICA_SLICES), []);
  });

  test('merge adds mcsync\'s slices beside the local ones without changing the Service', async () => {
    const ipA = Object.keys(addressMap(await slicesOf(A, 'own', 'web')))[0]!;
    const cfg = config(['instance: own', 'conflictPolicy: merge', 'clusters:', ...cluster('a', ['- namespace: own', '  exportTo: [b]']), ...cluster('b')]);
    ok(await runMcsync(['sync', '--config', cfg]));
    assert.equal((await getService(B, 'own', 'web'))!.metadata!.resourceVersion, rvBefore);
    assert.deepEqual(Object.keys(addressMap(await slicesOf(B, 'own', 'web', REPLICA_SLICES))), [ipA]);
    const all = addressMap(await slicesOf(B, 'own', 'web'));
    assert.equal(Object.keys(all).length, 2, 'local and remote endpoints side by side');
  });

  test('createNamespaces: false reports a missing namespace and writes nothing', async () => {
    await podsA.ensureNamespace('lonely');
    await podsA.core.createNamespacedService({ namespace: 'lonely', body: { metadata: { name: 'solo' }, spec: { selector: { app: 'solo' }, ports: [{ port: 80 }] } } });
    await waitFor(async () => (await slicesOf(A, 'lonely', 'solo')).length > 0, { what: 'the controller-manager to settle solo' });
    const cfg = config(['instance: lonely', 'createNamespaces: false', 'clusters:', ...cluster('a', ['- namespace: lonely', '  exportTo: [b]']), ...cluster('b')]);
    const before = await totalWrites();
    const r = ok(await runMcsync(['sync', '--config', cfg]));
    assert.match(r.stdout, /conflict: b: lonely\/solo: .*namespace/i);
    assert.equal(await totalWrites() - before, 0);
  });
});

describe('a destination that refuses writes', () => {
  test('the others are still synced; the exit code and the summary name the failed cluster', async () => {
    await podsA.ensureNamespace('partial');
    await podsA.core.createNamespacedService({ namespace: 'partial', body: { metadata: { name: 'p' }, spec: { selector: { app: 'p' }, ports: [{ port: 80 }] } } });
    await podsA.create({ namespace: 'partial', name: 'p-0', labels: { app: 'p' } });
    await sourceSettled(A, 'partial', 'p', 1);
    const readOnly = await restrictedKubeconfig(set.get('c'), 'read-only', [
      { apiGroups: [''], resources: ['services', 'namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ], writeConfig('', 'c-read-only.kubeconfig'));
    const cfg = config(['instance: partial', 'clusters:', ...cluster('a', ['- namespace: partial']), ...cluster('b'), '- name: c', `  kubeconfig: ${readOnly}`]);
    const r = await runMcsync(['sync', '--config', cfg]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /failed: cluster c \(write\)/);
    assert.match(r.stdout, /^c\s+0\s+0\s+0\s+0\s+[1-9]/m, 'the summary row of c counts failed writes');
    assert.ok(await getService(B, 'partial', 'p'), 'b got its replica all the same');
    assert.equal(await getService(C, 'partial', 'p'), undefined);
  });
});

describe('bad input changes nothing', () => {
  test('malformed configs and an unreachable cluster exit 2 with file and line, and write nothing', async () => {
    const good = (extra: string[] = []) => ['clusters:', ...cluster('a', ['- namespace: stars']), ...cluster('b'), ...extra];
    const cases: [string, string[], RegExp][] = [
      ['yaml syntax', ['clusters:', '  - name: a', '   kubeconfig: [x'], /:\d+:/],
      ['unknown key', [...good(), 'colour: blue'], /colour/],
      ['wrong type', ['createNamespaces: "yes"', ...good()], /createNamespaces/],
      ['duplicate cluster', [...good(), ...cluster('a')], /duplicate|twice|already/i],
      ['invalid regex', ['clusters:', ...cluster('a', ['- namespace: stars', '  nameMatches: ["(unclosed"]']), ...cluster('b')], /nameMatches/],
      ['missing kubeconfig file', ['clusters:', '- name: a', '  kubeconfig: /nonexistent/kubeconfig', ...cluster('b')], /kubeconfig/],
      ['unknown exportTo', ['clusters:', ...cluster('a', ['- namespace: stars', '  exportTo: [zz]']), ...cluster('b')], /exportTo/],
      ['bad label selector', ['clusters:', ...cluster('a', ['- namespace: stars', '  labelSelector: "a in (b"']), ...cluster('b')], /labelSelector/],
      ['empty file', ['# nothing here'], /empty/i],
      ['top level is a list', ['- clusters'], /mapping|object/i],
      ['exportTo itself', ['clusters:', ...cluster('a', ['- namespace: stars', '  exportTo: [a]']), ...cluster('b')], /exportTo/],
      ['unknown context', ['clusters:', ...cluster('a', ['- namespace: stars']), ...cluster('b'), '  context: nowhere'], /context/],
      ['missing name', ['clusters:', `- kubeconfig: ${set.get('a').kubeconfigPath}`], /name/],
    ];
    const before = await totalWrites();
    for (const [what, lines, why] of cases) {
      const path = config(lines);
      const r = await runMcsync(['sync', '--config', path]);
      assert.equal(r.code, 2, `${what}: exit code\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:`), `${what}: names file and line`);
      assert.match(r.stderr, why, what);
    }
    // A cluster whose apiserver is down: a kubeconfig pointing at a closed loopback port.
    const { readFileSync } = await import('node:fs');
    const dead = writeConfig(readFileSync(set.get('b').kubeconfigPath, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9'), 'dead.kubeconfig');
    const path = config(['clusters:', ...cluster('a', ['- namespace: stars']), '- name: b', `  kubeconfig: ${dead}`]);
    const r = await runMcsync(['sync', '--config', path]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /:7: .*cluster b cannot be reached/);
    // mcs: true where the MCS CRDs are not installed: refused before anything is written.
    const noMcs = config(['mcs: true', 'clusters:', ...cluster('a', ['- namespace: stars']), ...cluster('b')]);
    const m = await runMcsync(['sync', '--config', noMcs]);
    assert.equal(m.code, 2, m.stderr);
    assert.match(m.stderr, /:\d+: clusters\[0\]\.kubeconfig: cluster a: mcs: true, but the Multi-Cluster Services API .* is not served there: kubectl apply -f deploy\/mcs\/crds\//);
    assert.equal(await totalWrites() - before, 0, 'no write anywhere');
  });
});

describe('a stopped source is unavailable, not deleted, in every command', () => {
  test('plan and sync refuse and write nothing; status and doctor tell which replicas are kept; one-cluster commands and --skip-unavailable go on without it', async () => {
    const ns = 'avail';
    await podsA.ensureNamespace(ns);
    await podsB.ensureNamespace(ns);
    // x is exported by a and b (its replica in c holds both clusters' pods); y by b alone.
    await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'x' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } } });
    await podsA.create({ namespace: ns, name: 'x-a', labels: { app: 'x' } });
    for (const name of ['x', 'y']) {
      await podsB.core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } } });
      await podsB.create({ namespace: ns, name: `${name}-b`, labels: { app: name } });
    }
    await sourceSettled(A, ns, 'x', 1);
    await sourceSettled(B, ns, 'x', 1);
    await sourceSettled(B, ns, 'y', 1);
    const cfg = config(['instance: avail', 'clusters:', ...cluster('a', [`- namespace: ${ns}`, '  exportTo: [c]']), ...cluster('b', [`- namespace: ${ns}`, '  exportTo: [c]']), ...cluster('c')]);
    ok(await runMcsync(['sync', '--config', cfg]));
    const converged = { x: addressMap(await slicesOf(C, ns, 'x', REPLICA_SLICES)), y: addressMap(await slicesOf(C, ns, 'y', REPLICA_SLICES)) };
    assert.equal(Object.keys(converged.x).length, 2, 'x in c holds a\'s and b\'s pods');

    const b = set.running.find((c) => c.name === 'b')!;
    await b.stop();
    try {
      const writesBefore = await writeCount(set.get('c'), RESOURCES);

      const plan = await runMcsync(['plan', '--config', cfg]);
      assert.equal(plan.code, 2, plan.stdout + plan.stderr);
      assert.match(plan.stderr, /cluster b cannot be reached/);

      const sync = await runMcsync(['sync', '--config', cfg]);
      assert.equal(sync.code, 2, sync.stdout + sync.stderr);
      assert.match(sync.stderr, /cluster b cannot be reached/);

      const status = await runMcsync(['status', '--config', cfg, '-o', 'json']);
      assert.equal(status.code, 1, status.stderr);
      const view = JSON.parse(status.stdout) as { services: { namespace: string; name: string; sources: string[]; destinations: { cluster: string; state: string; detail?: string }[] }[]; failures: { cluster: string; stage: string }[] };
      assert.deepEqual(view.failures.map((f) => [f.cluster, f.stage]), [['b', 'connect']]);
      const rows = view.services.filter((s) => s.namespace === ns).map((s) => [s.name, s.sources, s.destinations.map((d) => `${d.cluster} ${d.state}`)]);
      assert.deepEqual(rows, [['x', ['a', 'b'], ['c unavailable']], ['y', ['b'], ['c unavailable']]], 'kept replicas are neither drift nor missing from the view');
      assert.match(view.services.find((s) => s.namespace === ns && s.name === 'y')!.destinations[0]!.detail ?? '', /source b unavailable/);

      const doctor = await runMcsync(['doctor', '--config', cfg, '-o', 'json']);
      assert.equal(doctor.code, 1);
      const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; scope: string; result: string; message: string }[] }).checks;
      assert.equal(checks.find((c) => c.name === 'reachable' && c.scope === 'b')!.result, 'fail');
      const orphans = checks.find((c) => c.name === 'orphaned-replicas' && c.scope === 'c')!;
      assert.equal(orphans.result, 'pass', orphans.message);
      assert.match(orphans.message, /2 replica\(s\) of unavailable sources not judged/);

      assert.equal(await writeCount(set.get('c'), RESOURCES) - writesBefore, 0, 'no command wrote to c');
      assert.deepEqual({ x: addressMap(await slicesOf(C, ns, 'x', REPLICA_SLICES)), y: addressMap(await slicesOf(C, ns, 'y', REPLICA_SLICES)) }, converged, 'b\'s endpoints are still in c');

      // Commands that touch one cluster need only that one. (Another instance owns nothing in c,
      // so its prune deletes nothing; the MCS API is not installed, so there is no ServiceExport.)
      const other = config(['instance: avail-other', 'clusters:', ...cluster('a'), ...cluster('b'), ...cluster('c')]);
      const prune = await runMcsync(['prune', '--config', other, '--cluster', 'c']);
      assert.equal(prune.code, 0, prune.stdout + prune.stderr);
      const unexport = await runMcsync(['unexport', `${ns}/x`, '--cluster', 'a', '--config', cfg]);
      assert.equal(unexport.code, 0, unexport.stdout + unexport.stderr);
      assert.match(unexport.stdout, new RegExp(`^${ns}/x in a was not exported$`, 'm'));

      // --skip-unavailable: a's new pod of x and its new Service z reach c; b's part of x and
      // its y, which b alone exports, stay in c exactly as b last had them.
      const x2 = (await podsA.create({ namespace: ns, name: 'x-a2', labels: { app: 'x' } })).status!.podIP!;
      await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'z' }, spec: { selector: { app: 'z' }, ports: [{ port: 80 }] } } });
      await podsA.create({ namespace: ns, name: 'z-a', labels: { app: 'z' } });
      await sourceSettled(A, ns, 'x', 2);
      const zIps = await sourceSettled(A, ns, 'z', 1);

      const planned = await runMcsync(['plan', '--config', cfg, '--skip-unavailable', '-o', 'json']);
      assert.equal(planned.code, 1, planned.stderr);
      const p = JSON.parse(planned.stdout) as { actions: { cluster: string; verb: string; kind: string; name: string }[]; failures: { cluster: string; stage: string }[] };
      assert.deepEqual(p.failures.map((f) => [f.cluster, f.stage]), [['b', 'connect']]);
      assert.ok(p.actions.length > 0 && p.actions.every((a) => a.cluster === 'c' && a.verb !== 'delete'), JSON.stringify(p.actions));
      assert.ok(p.actions.some((a) => a.kind === 'Service' && a.name === `${ns}/z`), JSON.stringify(p.actions));

      const synced = await runMcsync(['sync', '--config', cfg, '--skip-unavailable']);
      assert.equal(synced.code, 1, synced.stdout + synced.stderr);
      assert.match(synced.stdout, /^failed: cluster b \(connect\): .*cluster b cannot be reached/m);
      assert.deepEqual(addressMap(await slicesOf(C, ns, 'x', REPLICA_SLICES)), { ...converged.x, [x2]: true }, 'x: a\'s pods now, b\'s as they were');
      assert.deepEqual(addressMap(await slicesOf(C, ns, 'y', REPLICA_SLICES)), converged.y, 'y, which only b exports, is kept');
      assert.deepEqual(addressMap(await slicesOf(C, ns, 'z', REPLICA_SLICES)), zIps);
    } finally {
      await b.restart();
    }
  });
});
