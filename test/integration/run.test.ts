// `mcsync run` against three real clusters: replicas follow pods as they change, survive a
// source outage, repair drift, leave what they do not own alone, converge after SIGKILL, and
// stop cleanly on SIGTERM; a bad config sent with SIGHUP is refused while the old one keeps
// running. Each describe uses its own namespace and mcsync instance.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor, waitForSteady } from '../../harness/src/util/wait.ts';
import { writeCount } from '../../harness/src/observe/metrics.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { addressMap, apis, getService, newestResourceVersion, serviceWithPod, slicesOf, REPLICA_SLICES, type Apis, replicasAre } from '../support/kube.ts';

let set: ClusterSet;
let A: Apis, B: Apis, C: Apis;
let podsA: Pods, podsC: Pods;

function cluster(name: string, exportsYaml: string[] = []): string[] {
  return [`- name: ${name}`, `  kubeconfig: ${set.get(name).kubeconfigPath}`, ...(exportsYaml.length ? ['  services:', ...exportsYaml.map((l) => `  ${l}`)] : [])];
}

function configText(instance: string, ns: string, extra: string[] = []): string {
  return [`instance: ${instance}`, 'controller:', '  watchTimeout: 2s', '  resyncInterval: 20s', ...extra, 'clusters:',
    ...cluster('a', [`- namespace: ${ns}`]), ...cluster('b'), ...cluster('c')].join('\n') + '\n';
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b', 'c'] });
  [A, B, C] = ['a', 'b', 'c'].map((n) => apis(set.get(n))) as [Apis, Apis, Apis];
  podsA = new Pods(set.get('a'));
  podsC = new Pods(set.get('c'));
});

after(() => set?.down());

describe('replicas follow the source while mcsync run watches', () => {
  let ctl: RunningController;
  const ns = 'live';
  const ip: Record<string, string> = {};

  before(async () => {
    await podsA.ensureNamespace(ns);
    await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } } });
    ip.w0 = (await podsA.create({ namespace: ns, name: 'web-0', labels: { app: 'web' } })).status!.podIP!;
    await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 8080 }] } } });
    await podsC.ensureNamespace(ns);
    await podsC.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'api', labels: { mine: 'c' } }, spec: { selector: { app: 'api' }, ports: [{ port: 9999 }] } } });
    ctl = await startController(['--config', writeConfig(configText('live', ns))]);
    await ctl.ready();
  });

  after(async () => {
    assert.equal(await ctl.stop('SIGTERM'), 0, 'SIGTERM stops it cleanly with exit 0');
    assert.ok(ctl.count('stopped') === 1);
  });

  test('the existing export appears in b and c', async () => {
    await replicasAre(B, ns, 'web', { [ip.w0!]: true }, 'web in b');
    await replicasAre(C, ns, 'web', { [ip.w0!]: true }, 'web in c');
  });

  test('a pod added, made not ready, and deleted in a shows up in b and c', async () => {
    ip.w1 = (await podsA.create({ namespace: ns, name: 'web-1', labels: { app: 'web' } })).status!.podIP!;
    for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip.w0!]: true, [ip.w1!]: true }, 'pod added');
    await podsA.setReady(ns, 'web-0', false);
    for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip.w0!]: false, [ip.w1!]: true }, 'pod not ready');
    await podsA.delete(ns, 'web-0');
    for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip.w1!]: true }, 'pod deleted');
  });

  test('one endpoint change costs exactly one write per destination, by the apiservers\' count', async () => {
    const writes = async () => Promise.all(['b', 'c'].map((n) => writeCount(set.get(n), ['services', 'endpointslices', 'namespaces'])));
    // Start from quiet: the earlier steps' writes have all landed.
    const before = await waitForSteady(writes, { what: 'destination writes to settle' });
    await podsA.setReady(ns, 'web-1', false);
    for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip.w1!]: false }, 'readiness flip');
    // The controller's own replica watches have seen its writes, and nothing is left to do: a stray second write would have happened.
    const marks = await Promise.all(([['b', B], ['c', C]] as const).map(async ([cluster, api]) => ({ cluster, resource: 'endpointslices', selector: '!mcsync.io/import', resourceVersion: newestResourceVersion(await slicesOf(api, ns, 'web', REPLICA_SLICES)) })));
    await ctl.caughtUp(marks, 'the readiness flip and its own writes');
    const after = await writes();
    await podsA.setReady(ns, 'web-1', true);
    for (const d of [B, C]) await replicasAre(d, ns, 'web', { [ip.w1!]: true }, 'ready again');
    assert.deepEqual(after.map((n, i) => n - before[i]!), [1, 1]);
  });

  test('a replica edited or deleted by hand is restored', async () => {
    const [slice] = await slicesOf(B, ns, 'web', REPLICA_SLICES);
    slice!.endpoints = [{ addresses: ['10.250.0.1'], conditions: { ready: true } }];
    await B.discovery.replaceNamespacedEndpointSlice({ namespace: ns, name: slice!.metadata!.name!, body: slice! });
    await B.core.deleteNamespacedService({ namespace: ns, name: 'web' });
    await waitFor(async () => (await getService(B, ns, 'web')) !== undefined, { what: 'the replica Service back' });
    await replicasAre(B, ns, 'web', { [ip.w1!]: true }, 'the replica slice restored');
  });

  test('a same-named Service mcsync does not own is left untouched', async () => {
    const before = (await getService(C, ns, 'api'))!;
    assert.ok(await waitFor(async () => getService(B, ns, 'api'), { what: 'api replicated to b' }));
    await podsA.create({ namespace: ns, name: 'api-0', labels: { app: 'api' } });
    await waitFor(async () => Object.keys(addressMap(await slicesOf(B, ns, 'api', REPLICA_SLICES))).length === 1, { what: 'api endpoint in b' });
    const now = (await getService(C, ns, 'api'))!;
    assert.equal(now.metadata!.resourceVersion, before.metadata!.resourceVersion);
    assert.deepEqual(await slicesOf(C, ns, 'api', REPLICA_SLICES), []);
    assert.ok(ctl.count('conflict', (l) => l.cluster === 'c') >= 1, 'the conflict is logged');
    // The gauge is set once a second, from the last plan of every key.
    await waitFor(async () => /mcsync_conflicts\{cluster="c",kind="not-owned"\} 1/.test((await ctl.get('/metrics')).text), { what: 'the conflict counted in /metrics' });
    assert.match((await ctl.get('/metrics')).text, /mcsync_conflicts\{cluster="b",kind="not-owned"\} 0/);
  });

  test('/metrics reports writes, propagation latency and per-cluster state', async () => {
    const text = (await ctl.get('/metrics')).text;
    assert.match(text, /mcsync_writes_total\{cluster="b",verb="create",kind="Service",result="done",capability="replicas"\} [1-9]/);
    assert.match(text, /mcsync_propagation_seconds_count\{source="a",destination="b"\} [1-9]/);
    assert.match(text, /mcsync_cluster_connected\{cluster="a"\} 1/);
    assert.match(text, /process_cpu_seconds_total/);
  });

  test('a deleted source Service is collected from b and c', async () => {
    await podsA.core.deleteNamespacedService({ namespace: ns, name: 'web' });
    for (const d of [B, C]) {
      await waitFor(async () => (await getService(d, ns, 'web')) === undefined, { what: 'replica collected' });
      await waitFor(async () => (await slicesOf(d, ns, 'web', REPLICA_SLICES)).length === 0, { what: 'replica slices collected' });
    }
  });
});

describe('a source outage', () => {
  test('nothing is deleted while the source is down; changes after it returns converge', async () => {
    const ns = 'outage';
    const first = await serviceWithPod(podsA, ns, 'db', 5432);
    // a turns stale 3 s into the outage: under the default policy (keep), that re-plans every key it sources, which must delete nothing.
    const cfgPath = writeConfig(configText('outage', ns).replace('- name: a\n', '- name: a\n  staleAfter: 3s\n'));
    const ctl = await startController(['--config', cfgPath]);
    try {
      await ctl.ready();
      await replicasAre(B, ns, 'db', { [first]: true }, 'db in b');
      const a = set.running[0]!;
      await a.stop();
      // Longer than the 2 s watch timeout, so the controller has re-tried and failed several times.
      await waitFor(async () => (await ctl.status()).clusters.find((c) => c.cluster === 'a')?.connected === false, { what: 'a seen as disconnected' });
      await waitFor(async () => (await ctl.status()).clusters.find((c) => c.cluster === 'a')?.stale === true, { what: 'a judged stale' });
      await ctl.caughtUp([], 'the keys a stale a re-planned');
      assert.deepEqual(addressMap(await slicesOf(B, ns, 'db', REPLICA_SLICES)), { [first]: true }, 'an unreachable source is not a deleted one');
      assert.ok(await getService(B, ns, 'db'));
      const st = await runMcsync(['status', '--config', cfgPath, '--controller', `http://127.0.0.1:${ctl.port}`, '-o', 'json']);
      assert.equal(st.code, 1, 'status says a cluster is unreachable');
      const view = JSON.parse(st.stdout) as { controller: { clusters: { cluster: string; connected: boolean }[] }; failures: { cluster: string }[] };
      assert.deepEqual(view.controller.clusters.map((c) => [c.cluster, c.connected]), [['a', false], ['b', true], ['c', true]]);
      assert.deepEqual(view.failures.map((f) => f.cluster), ['a']);
      await a.restart();
      const second = (await podsA.create({ namespace: ns, name: 'db-1', labels: { app: 'db' } })).status!.podIP!;
      await replicasAre(B, ns, 'db', { [first]: true, [second]: true }, 'converged after the outage');
      await waitFor(async () => (await ctl.status()).clusters.every((c) => c.connected), { what: 'all clusters connected again' });
    } finally {
      await ctl.stop();
    }
  });

  test('a hung source (connections accepted, never answered) is seen as unavailable, then stale; nothing is deleted', async () => {
    const ns = 'hung';
    const hip = await serviceWithPod(podsA, ns, 'h');
    const text = configText('hung', ns).replace(`- name: a\n  kubeconfig: ${set.get('a').kubeconfigPath}\n`, `- name: a\n  kubeconfig: ${set.get('a').kubeconfigPath}\n  staleAfter: 3s\n`);
    const ctl = await startController(['--config', writeConfig(text)]);
    const apiserver = set.running.find((c) => c.name === 'a')!.processes.find((p) => p.name.includes('apiserver'))!;
    try {
      await ctl.ready();
      await replicasAre(B, ns, 'h', { [hip]: true }, 'h in b');
      process.kill(apiserver.pid, 'SIGSTOP');
      const stopped = Date.now();
      // The open watch goes quiet (watchdog: 7 s for a 2 s watchTimeout); the re-opened one gets
      // no answer (3.5 s): then a is unavailable, and stale 3 s later.
      await waitFor(async () => (await ctl.status()).clusters.find((c) => c.cluster === 'a')?.stale === true, { what: 'a hung source marked stale', timeoutMs: 60_000 });
      const seenAfter = Date.now() - stopped;
      assert.equal((await ctl.status()).clusters.find((c) => c.cluster === 'a')?.connected, false);
      assert.deepEqual(addressMap(await slicesOf(B, ns, 'h', REPLICA_SLICES)), { [hip]: true }, 'stale under keep: the replica stays');
      console.log(`hung source: stale after ${(seenAfter / 1000).toFixed(1)} s`);
    } finally {
      process.kill(apiserver.pid, 'SIGCONT');
    }
    try {
      await waitFor(async () => (await ctl.status()).clusters.every((c) => c.connected && !c.stale), { what: 'a back', timeoutMs: 60_000 });
      const h1 = (await podsA.create({ namespace: ns, name: 'h-1', labels: { app: 'h' } })).status!.podIP!;
      await replicasAre(B, ns, 'h', { [hip]: true, [h1]: true }, 'changes flow again');
    } finally {
      await ctl.stop();
    }
  });

  test('withdraw: replicas of a source stale for longer than staleAfter are withdrawn, but for an entry that keeps its own', async () => {
    const ns = 'stale';
    const qip = await serviceWithPod(podsA, ns, 'q');
    const kip = await serviceWithPod(podsA, 'stale-kept', 'k');
    const text = configText('stale', ns)
      .replace(`- name: a\n  kubeconfig: ${set.get('a').kubeconfigPath}\n`, `- name: a\n  kubeconfig: ${set.get('a').kubeconfigPath}\n  staleAfter: 3s\n  stalePolicy: withdraw\n`)
      .replace(`  - namespace: ${ns}\n`, `  - namespace: ${ns}\n  - namespace: stale-kept\n    stalePolicy: keep\n`);
    const ctl = await startController(['--config', writeConfig(text)]);
    try {
      await ctl.ready();
      await replicasAre(B, ns, 'q', { [qip]: true }, 'q in b');
      await replicasAre(B, 'stale-kept', 'k', { [kip]: true }, 'k in b');
      const a = set.running[0]!;
      await a.stop();
      await waitFor(async () => (await ctl.status()).clusters.find((c) => c.cluster === 'a')?.stale === true, { what: 'a marked stale' });
      await waitFor(async () => (await getService(B, ns, 'q')) === undefined, { what: 'q withdrawn from b' });
      await ctl.caughtUp([], 'the withdrawal of every stale Service');
      assert.deepEqual(addressMap(await slicesOf(B, 'stale-kept', 'k', REPLICA_SLICES)), { [kip]: true }, 'the entry\'s own stalePolicy keep wins over the cluster\'s withdraw');
      await a.restart();
      await waitFor(async () => (await getService(B, ns, 'q')) !== undefined, { what: 'q back once a returns' });
      await replicasAre(B, ns, 'q', { [qip]: true }, 'q endpoints back');
    } finally {
      await ctl.stop();
    }
  });
});

describe('restarts and reloads', () => {
  test('SIGKILL mid-sync, then a new start converges with no duplicate or orphan', async () => {
    const ns = 'bulk';
    await podsA.ensureNamespace(ns);
    const n = 40;
    for (let i = 0; i < n; i++) {
      await podsA.core.createNamespacedService({ namespace: ns, body: { metadata: { name: `s${i}` }, spec: { selector: { app: `s${i}` }, ports: [{ port: 80 }] } } });
      await podsA.create({ namespace: ns, name: `s${i}-0`, labels: { app: `s${i}` } });
    }
    await waitFor(async () => (await A.discovery.listNamespacedEndpointSlice({ namespace: ns })).items.filter((s) => (s.endpoints ?? []).length > 0).length === n, { what: 'source slices' });
    const cfg = writeConfig(configText('bulk', ns, ['  writeQps: 20', '  writeBurst: 5']));
    const first = await startController(['--config', cfg]);
    await waitFor(async () => first.count('replica changed') >= 3, { what: 'the first writes' });
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startController(['--config', cfg]);
    try {
      const owned = async (d: Apis) => ({
        services: (await d.core.listNamespacedService({ namespace: ns, labelSelector: 'mcsync.io/instance=bulk' })).items.map((s) => s.metadata!.name!).sort(),
        slices: (await d.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'mcsync.io/instance=bulk' })).items,
      });
      const want = Array.from({ length: n }, (_, i) => `s${i}`).sort();
      for (const d of [B, C]) {
        await waitFor(async () => {
          const o = await owned(d);
          return JSON.stringify(o.services) === JSON.stringify(want) && o.slices.length === n;
        }, { what: `${n} services and ${n} slices`, timeoutMs: 120_000 });
        const o = await owned(d);
        const perService = new Map<string, number>();
        for (const s of o.slices) perService.set(s.metadata!.labels!['kubernetes.io/service-name']!, (perService.get(s.metadata!.labels!['kubernetes.io/service-name']!) ?? 0) + 1);
        assert.deepEqual([...perService.values()].filter((v) => v !== 1), [], 'exactly one slice per service: no duplicates');
        assert.deepEqual([...perService.keys()].sort(), want, 'no orphan slices');
      }
    } finally {
      await second.stop();
    }
  });

  test('a reload that drops a cluster drops its metric series too', async () => {
    const ns = 'shrink';
    await serviceWithPod(podsA, ns, 's');
    const cfg = writeConfig(configText('shrink', ns));
    const ctl = await startController(['--config', cfg, '--no-watch-config']);
    try {
      await ctl.ready();
      assert.match((await ctl.get('/metrics')).text, /mcsync_cluster_connected\{cluster="c"\} 1/);
      writeFileSync(cfg, configText('shrink', ns).replace(cluster('c').join('\n') + '\n', ''));
      ctl.child.kill('SIGHUP');
      await waitFor(async () => ctl.count('config reloaded') === 1, { what: 'the reload' });
      const text = (await ctl.get('/metrics')).text;
      assert.doesNotMatch(text, /cluster="c"/, 'no series of the removed cluster is left');
      assert.match(text, /mcsync_cluster_connected\{cluster="b"\}/, 'the remaining clusters keep theirs');
    } finally {
      assert.equal(await ctl.stop(), 0);
    }
  });

  test('SIGHUP with a bad config is refused and the old config keeps running', async () => {
    const ns = 'reload';
    const rip = await serviceWithPod(podsA, ns, 'r');
    const cfg = writeConfig(configText('reload', ns));
    const ctl = await startController(['--config', cfg, '--no-watch-config']);
    try {
      await ctl.ready();
      await replicasAre(B, ns, 'r', { [rip]: true }, 'r in b');
      writeFileSync(cfg, 'clusters:\n- name: a\n  kubeconfg: typo\n');
      ctl.child.kill('SIGHUP');
      await waitFor(async () => ctl.count('new config rejected; the running config stays in force') === 1, { what: 'the rejection' });
      const rejected = ctl.logs.find((l) => l.msg === 'new config rejected; the running config stays in force')!;
      assert.match(String(rejected.error), /:3: clusters\[0\]\.kubeconfg/);
      const r1 = (await podsA.create({ namespace: ns, name: 'r-1', labels: { app: 'r' } })).status!.podIP!;
      await replicasAre(B, ns, 'r', { [rip]: true, [r1]: true }, 'the old config still replicates');
      assert.match((await ctl.get('/metrics')).text, /mcsync_config_reloads_total\{result="rejected"\} 1/);
    } finally {
      assert.equal(await ctl.stop(), 0);
    }
  });
});

describe('two instances with leader election', () => {
  test('exactly one writes (by field manager); when it is killed the other takes over', async () => {
    const ns = 'ha';
    const h0 = await serviceWithPod(podsA, ns, 'h');
    const cfg = writeConfig(configText('ha', ns, ['leaderElection:', '  cluster: b', '  leaseDuration: 3s', '  renewDeadline: 2s', '  retryPeriod: 500ms']));
    const one = await startController(['--config', cfg, '--leader-elect', '--identity', 'one', '--field-manager', 'mcsync-one']);
    const two = await startController(['--config', cfg, '--leader-elect', '--identity', 'two', '--field-manager', 'mcsync-two']);
    try {
      await one.ready();
      await two.ready();
      await replicasAre(B, ns, 'h', { [h0]: true }, 'h in b');
      const leaders = async () => (await Promise.all([one, two].map(async (c) => (c.child.exitCode === null ? (await c.status()).leader : false))));
      assert.deepEqual((await leaders()).filter(Boolean).length, 1, 'exactly one leader; the standby is ready too');
      const [leader, standby, leaderManager, standbyManager] = (await leaders())[0] ? [one, two, 'mcsync-one', 'mcsync-two'] : [two, one, 'mcsync-two', 'mcsync-one'];
      const managers = async () => {
        const objs = [...(await B.core.listNamespacedService({ namespace: ns, labelSelector: 'mcsync.io/instance=ha' })).items,
          ...(await B.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'mcsync.io/instance=ha' })).items];
        return new Set(objs.flatMap((o) => (o.metadata?.managedFields ?? []).map((f) => f.manager)));
      };
      assert.deepEqual([...await managers()], [leaderManager], 'only the leader wrote');
      assert.equal(standby.count('replica changed'), 0);
      leader.child.kill('SIGKILL');
      await leader.exited;
      await waitFor(async () => (await standby.status()).leader, { what: 'the standby to take over after the lease expires' });
      const h1 = (await podsA.create({ namespace: ns, name: 'h-1', labels: { app: 'h' } })).status!.podIP!;
      await replicasAre(B, ns, 'h', { [h0]: true, [h1]: true }, 'the new leader keeps replicas current');
      assert.ok((await managers()).has(standbyManager), 'the new leader wrote the change');
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});

describe('pull topology', () => {
  test('--local-cluster reads every cluster and writes only to its own', async () => {
    const ns = 'pull';
    const pip = await serviceWithPod(podsA, ns, 'p');
    const ctl = await startController(['--config', writeConfig(configText('pull', ns)), '--local-cluster', 'b']);
    try {
      await ctl.ready();
      await replicasAre(B, ns, 'p', { [pip]: true }, 'p in b');
      await ctl.caughtUp([{ cluster: 'b', resource: 'endpointslices', selector: '!mcsync.io/import', resourceVersion: newestResourceVersion(await slicesOf(B, ns, 'p', REPLICA_SLICES)) }], 'p written in b');
      assert.equal(await getService(C, ns, 'p'), undefined, 'c is another instance\'s to write');
      assert.ok(ctl.count('replica changed', (l) => l.cluster !== 'b') === 0);
    } finally {
      await ctl.stop();
    }
  });
});
