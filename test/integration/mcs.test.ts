// The Multi-Cluster Services API with `mcs: true`, on two real clusters with the upstream CRDs:
// a ServiceExport in a makes a ServiceImport (clusterset IP from a derived Service), MCS
// slices and conditions appear in both clusters; a second, different export from b is merged
// by the KEP's rules with a Conflict on both exports; a user's own Service of the exported name
// in b is left alone; an ExternalName export is not valid; the last export going removes
// everything within seconds; pull mode writes only its own cluster.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { kubeConfigFor, Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { apis, getService, newestResourceVersion, type Apis } from '../support/kube.ts';

const GV = 'multicluster.x-k8s.io/v1beta1';

let set: ClusterSet;
let A: Apis, B: Apis;
let podsA: Pods, podsB: Pods;
const objs: Record<string, KubernetesObjectApi> = {};

interface Condition { type: string; status: string; reason: string; message: string; lastTransitionTime: string }
interface Imported extends KubernetesObject {
  spec: { type: string; ips?: string[]; ipFamilies?: string[]; ports: { name?: string; protocol: string; port: number }[]; sessionAffinity?: string };
  status?: { clusters?: { cluster: string }[] };
}

async function read<T extends KubernetesObject>(cluster: string, kind: string, namespace: string, name: string): Promise<T | undefined> {
  return (objs[cluster]!.read({ apiVersion: GV, kind, metadata: { name, namespace } }) as Promise<T>).catch((e: { code?: number }) => {
    if (e.code === 404) return undefined;
    throw e;
  });
}

async function exportService(cluster: string, namespace: string, name: string, spec: Record<string, unknown> = {}): Promise<void> {
  await objs[cluster]!.create({ apiVersion: GV, kind: 'ServiceExport', metadata: { name, namespace }, spec } as KubernetesObject);
}

async function unexport(cluster: string, namespace: string, name: string): Promise<void> {
  await objs[cluster]!.delete({ apiVersion: GV, kind: 'ServiceExport', metadata: { name, namespace } });
}

async function conditions(cluster: string, namespace: string, name: string): Promise<Record<string, Condition>> {
  const se = await read<KubernetesObject & { status?: { conditions?: Condition[] } }>(cluster, 'ServiceExport', namespace, name);
  return Object.fromEntries((se?.status?.conditions ?? []).map((c) => [c.type, c]));
}

async function mcsSlices(a: Apis, namespace: string, name: string) {
  return (await a.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `multicluster.kubernetes.io/service-name=${name},multicluster.kubernetes.io/source-cluster` })).items;
}

function config(instance: string, extra: string[] = []): string {
  return [`instance: ${instance}`, 'mcs: true', 'controller:', '  watchTimeout: 2s', ...extra, 'clusters:',
    ...['a', 'b'].flatMap((n) => [`- name: ${n}`, `  kubeconfig: ${set.get(n).kubeconfigPath}`])].join('\n') + '\n';
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'], mcsCrds: true });
  [A, B] = ['a', 'b'].map((n) => apis(set.get(n))) as [Apis, Apis];
  podsA = new Pods(set.get('a'));
  podsB = new Pods(set.get('b'));
  for (const n of ['a', 'b']) objs[n] = KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get(n)));
});

after(() => set?.down());

describe('push mode: one mcsync run writes imports everywhere', () => {
  let ctl: RunningController;
  const ns = 'mcs-push';
  let podA = '';
  let podB = '';

  before(async () => {
    for (const p of [podsA, podsB]) await p.ensureNamespace(ns);
    await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'hello' }, spec: { selector: { app: 'hello' }, ports: [{ name: 'tcp', port: 42, protocol: 'TCP' }, { name: 'udp', port: 42, protocol: 'UDP' }], sessionAffinity: 'ClientIP' } } });
    podA = (await podsA.create({ namespace: ns, name: 'hello-a', labels: { app: 'hello' } })).status!.podIP!;
    ctl = await startController(['--config', writeConfig(config('push'))]);
    await ctl.ready();
  });

  after(async () => {
    assert.equal(await ctl.stop('SIGTERM'), 0);
  });

  test('an export in a: ServiceImport with a clusterset IP, MCS slices with a\'s pod, and conditions on the export', async () => {
    await exportService('a', ns, 'hello', { exportedLabels: { tier: 'web' } });
    for (const [n, api] of [['a', A], ['b', B]] as const) {
      const si = await waitFor(async () => {
        const s = await read<Imported>(n, 'ServiceImport', ns, 'hello');
        return s?.spec.ips?.length && s.status?.clusters?.length ? s : undefined;
      }, { what: `a ServiceImport with IPs and clusters in ${n}`, timeoutMs: 20_000 });
      assert.equal(si.spec.type, 'ClusterSetIP');
      assert.equal(si.spec.sessionAffinity, 'ClientIP');
      assert.deepEqual(si.spec.ports.map((p) => `${p.name}/${p.protocol}/${p.port}`).sort(), ['tcp/TCP/42', 'udp/UDP/42']);
      assert.deepEqual(si.status!.clusters, [{ cluster: 'a' }]);
      assert.equal(si.spec.ips!.length, si.spec.ipFamilies!.length);
      assert.equal(si.metadata!.labels!.tier, 'web');
      const derivedName = si.metadata!.annotations!['multicluster.kubernetes.io/derived-service']!;
      assert.match(derivedName, /^derived-[0-9a-f]{16}$/);
      const derived = await getService(api, ns, derivedName);
      assert.deepEqual(derived!.spec!.clusterIPs, si.spec.ips);
      assert.equal(derived!.spec!.selector, undefined, 'selectorless: its slices are mcsync\'s');
      const slices = await waitFor(async () => {
        const s = await mcsSlices(api, ns, 'hello');
        return s.some((x) => x.endpoints?.some((e) => e.addresses.includes(podA))) ? s : undefined;
      }, { what: `an MCS slice with a's pod in ${n}`, timeoutMs: 20_000 });
      assert.equal(slices[0]!.metadata!.labels!['kubernetes.io/service-name'], derivedName);
      assert.equal(slices[0]!.metadata!.labels!['multicluster.kubernetes.io/source-cluster'], 'a');
      assert.equal(slices[0]!.metadata!.labels!['endpointslice.kubernetes.io/managed-by'], 'mcsync.io');
    }
    const c = await waitFor(async () => {
      const got = await conditions('a', ns, 'hello');
      return got.Conflict ? got : undefined;
    }, { what: 'conditions on a\'s export', timeoutMs: 20_000 });
    assert.equal(c.Valid!.status, 'True');
    assert.equal(c.Ready!.status, 'True');
    assert.equal(c.Conflict!.status, 'False');
    assert.equal(c.Conflict!.reason, 'NoConflicts');
    assert.ok(c.Valid!.lastTransitionTime);
  });

  test('a user\'s own Service of the exported name in b is created and left alone', async () => {
    await podsB.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'hello' }, spec: { selector: { app: 'hello' }, ports: [{ name: 'tcp', port: 43, protocol: 'TCP' }] } } });
    podB = (await podsB.create({ namespace: ns, name: 'hello-b', labels: { app: 'hello' } })).status!.podIP!;
    // The controller has seen b's Service and its pod's slice, and has nothing left to do.
    const mine = await getService(B, ns, 'hello');
    const userSlices = await waitFor(async () => {
      const items = (await B.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=hello,endpointslice.kubernetes.io/managed-by!=mcsync.io' })).items;
      return items.some((sl) => (sl.endpoints ?? []).some((e) => e.addresses.includes(podB))) ? items : undefined;
    }, { what: 'b\'s own slice holding its pod' });
    await ctl.caughtUp([
      { cluster: 'b', resource: 'services', selector: 'managed-by!=', resourceVersion: mine!.metadata!.resourceVersion! },
      { cluster: 'b', resource: 'endpointslices', selector: 'managed-by!=', resourceVersion: newestResourceVersion(userSlices) },
    ], 'b\'s own Service and its endpoints');
    const svc = await getService(B, ns, 'hello');
    assert.deepEqual(svc!.spec!.ports!.map((p) => p.port), [43]);
    assert.equal(svc!.metadata!.labels?.['mcsync.io/managed-by'], undefined);
  });

  test('b exports it too with a conflicting port: the oldest (a) wins, both exports say Conflict, b\'s endpoints serve no port it lost', async () => {
    await exportService('b', ns, 'hello', { exportedLabels: { tier: 'api' } });
    for (const n of ['a', 'b']) {
      const c = await waitFor(async () => {
        const got = await conditions(n, ns, 'hello');
        return got.Conflict?.status === 'True' ? got : undefined;
      }, { what: `Conflict=True on ${n}'s export`, timeoutMs: 20_000 });
      assert.match(c.Conflict!.reason, /PortConflict/);
      assert.match(c.Conflict!.reason, /LabelsConflict/);
    }
    const si = await waitFor(async () => {
      const s = await read<Imported>('b', 'ServiceImport', ns, 'hello');
      return s?.status?.clusters?.length === 2 ? s : undefined;
    }, { what: 'both clusters in the import', timeoutMs: 20_000 });
    assert.deepEqual(si.spec.ports.map((p) => `${p.name}/${p.port}`).sort(), ['tcp/42', 'udp/42'], 'b\'s tcp/43 lost to a\'s tcp/42');
    assert.equal(si.metadata!.labels!.tier, 'web');
    // b's only port lost, so none of its endpoints are imported anywhere: checked once the controller has processed the import it wrote.
    await ctl.caughtUp([{ cluster: 'b', resource: 'serviceimports', resourceVersion: si.metadata!.resourceVersion! }], 'the import with both clusters');
    for (const api of [A, B]) {
      const addresses = (await mcsSlices(api, ns, 'hello')).flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
      assert.ok(addresses.includes(podA));
      assert.ok(!addresses.includes(podB));
    }
    const events = await podsB.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=ServiceExportConflict' });
    assert.ok(events.items.length > 0, 'the conflict is an Event on the export');
    const st = JSON.parse((await ctl.get('/status')).text) as { imports: { namespace: string; name: string; exporters: string[]; conflicts: { reason: string }[] }[] };
    const row = st.imports.find((i) => i.namespace === ns && i.name === 'hello')!;
    assert.deepEqual(row.exporters, ['a', 'b']);
    assert.ok(row.conflicts.some((c) => c.reason === 'PortConflict'), '/status names the conflict');
  });

  test('the last export going removes the import, the derived Service and the slices in both clusters within seconds', async () => {
    await unexport('b', ns, 'hello');
    await unexport('a', ns, 'hello');
    for (const [n, api] of [['a', A], ['b', B]] as const) {
      await waitFor(async () => (await read('' + n, 'ServiceImport', ns, 'hello')) === undefined, { what: `the import gone from ${n}`, timeoutMs: 20_000 });
      await waitFor(async () => (await mcsSlices(api, ns, 'hello')).length === 0, { what: `MCS slices gone from ${n}`, timeoutMs: 20_000 });
      const derived = (await api.core.listNamespacedService({ namespace: ns, labelSelector: 'mcsync.io/import=hello' })).items;
      await waitFor(async () => (await api.core.listNamespacedService({ namespace: ns, labelSelector: 'mcsync.io/import=hello' })).items.length === 0 || undefined, { what: `the derived Service gone from ${n}`, timeoutMs: 20_000 }).catch(() => assert.fail(`derived left: ${derived.length}`));
    }
    assert.ok(await getService(B, ns, 'hello'), 'b\'s own Service stays');
  });

  test('an ExternalName export is not valid and imports nothing', async () => {
    await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } } });
    await exportService('a', ns, 'ext');
    const c = await waitFor(async () => {
      const got = await conditions('a', ns, 'ext');
      return got.Valid ? got : undefined;
    }, { what: 'a Valid condition on the ExternalName export', timeoutMs: 20_000 });
    assert.equal(c.Valid!.status, 'False');
    assert.equal(c.Valid!.reason, 'InvalidServiceType');
    assert.equal(await read('b', 'ServiceImport', ns, 'ext'), undefined);
  });
});

describe('pull mode: each cluster\'s instance writes only its own imports and exports', () => {
  let ctl: RunningController;
  const ns = 'mcs-pull';

  before(async () => {
    for (const p of [podsA, podsB]) await p.ensureNamespace(ns);
    await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } } });
    await podsA.create({ namespace: ns, name: 'web-a', labels: { app: 'web' } });
    await exportService('a', ns, 'web');
    ctl = await startController(['--config', writeConfig(config('pull')), '--local-cluster', 'b']);
    await ctl.ready();
  });

  after(async () => {
    assert.equal(await ctl.stop('SIGTERM'), 0);
  });

  test('b gets its import; a gets nothing and its export no conditions from b\'s instance', async () => {
    const imported = await waitFor(async () => {
      const si = await read<Imported>('b', 'ServiceImport', ns, 'web');
      return si?.spec.ips?.length ? si : undefined;
    }, { what: 'the import in b', timeoutMs: 20_000 });
    await ctl.caughtUp([{ cluster: 'b', resource: 'serviceimports', resourceVersion: imported.metadata!.resourceVersion! }], 'the import in b');
    assert.equal(await read('a', 'ServiceImport', ns, 'web'), undefined);
    assert.deepEqual(await conditions('a', ns, 'web'), {});
  });
});

describe('one-shot: mcsync export, sync, status and unexport', () => {
  const ns = 'mcs-cli';
  let cfg = '';

  before(async () => {
    for (const p of [podsA, podsB]) await p.ensureNamespace(ns);
    await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 8080 }] } } });
    await podsA.create({ namespace: ns, name: 'api-a', labels: { app: 'api' } });
    cfg = writeConfig(config('cli'));
  });

  test('export writes the ServiceExport; sync imports it everywhere with its IP in one run; status shows it in-sync', async () => {
    const exported = await runMcsync(['export', `${ns}/api`, '--cluster', 'a', '--config', cfg]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /exported mcs-cli\/api in a/);
    assert.ok(await read('a', 'ServiceExport', ns, 'api'));
    const synced = await runMcsync(['sync', '--config', cfg]);
    assert.equal(synced.code, 0, synced.stderr);
    for (const n of ['a', 'b']) {
      const si = await read<Imported>(n, 'ServiceImport', ns, 'api');
      assert.ok(si?.spec.ips?.length, `one sync leaves ${n}'s import with its IP`);
      assert.deepEqual(si!.status?.clusters, [{ cluster: 'a' }]);
    }
    assert.equal((await conditions('a', ns, 'api')).Ready?.status, 'True');
    const again = await runMcsync(['sync', '--config', cfg, '-o', 'json']);
    assert.equal(again.code, 0, again.stderr);
    const left = (JSON.parse(again.stdout) as { actions: unknown[] }).actions;
    assert.deepEqual(left, [], 'a second sync has nothing to do');
    const st = await runMcsync(['status', '--config', cfg, '-o', 'json']);
    assert.equal(st.code, 0, st.stderr);
    const row = (JSON.parse(st.stdout) as { imports: { namespace: string; name: string; state: string; importedIn: string[] }[] }).imports.find((i) => i.namespace === ns && i.name === 'api')!;
    assert.equal(row.state, 'in-sync');
    assert.deepEqual(row.importedIn, ['a', 'b']);
  });

  test('prune removes every import object of this instance (ServiceImport, derived Service, MCS slices) and leaves the user\'s export; the next sync brings them back', async () => {
    const before = await read<Imported & { metadata: { annotations?: Record<string, string> } }>('b', 'ServiceImport', ns, 'api');
    const derived = before?.metadata.annotations?.['multicluster.kubernetes.io/derived-service'];
    assert.ok(derived, 'the import names its derived Service');
    const pruned = await runMcsync(['prune', '--config', cfg]);
    assert.equal(pruned.code, 0, pruned.stderr);
    for (const [n, a] of [['a', A], ['b', B]] as const) {
      assert.equal(await read(n, 'ServiceImport', ns, 'api'), undefined, `${n}: no ServiceImport`);
      assert.equal(await getService(a, ns, derived), undefined, `${n}: no derived Service`);
      assert.deepEqual(await mcsSlices(a, ns, 'api'), [], `${n}: no MCS slices`);
    }
    assert.ok(await read('a', 'ServiceExport', ns, 'api'), 'the ServiceExport is the user\'s');
    const synced = await runMcsync(['sync', '--config', cfg]);
    assert.equal(synced.code, 0, synced.stderr);
    assert.ok((await read<Imported>('b', 'ServiceImport', ns, 'api'))?.spec.ips?.length);
  });

  test('unexport deletes the ServiceExport; the next sync removes the imports', async () => {
    const un = await runMcsync(['unexport', `${ns}/api`, '--cluster', 'a', '--config', cfg]);
    assert.equal(un.code, 0, un.stderr);
    const synced = await runMcsync(['sync', '--config', cfg]);
    assert.equal(synced.code, 0, synced.stderr);
    for (const n of ['a', 'b']) assert.equal(await read(n, 'ServiceImport', ns, 'api'), undefined);
    const twice = await runMcsync(['unexport', `${ns}/api`, '--cluster', 'a', '--config', cfg]);
    assert.match(twice.stdout, /was not exported/);
  });
});
