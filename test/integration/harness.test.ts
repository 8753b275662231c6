// The harness itself, against the real components it runs: two clusters that do not share
// state, pods without a kubelet that the real EndpointSlice controller turns into slices,
// the helpers that churn them, and a teardown that leaves nothing behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { DiscoveryV1Api, CoreV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { STATE_DIR, startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { requestCounts } from '../../harness/src/observe/metrics.ts';
import { isAlive } from '../../harness/src/util/process.ts';
import { waitFor } from '../../harness/src/util/wait.ts';

type Seen = Record<string, boolean>;

async function endpointsOf(discovery: DiscoveryV1Api, namespace: string, service: string): Promise<Seen> {
  const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
  const seen: Seen = {};
  for (const s of slices.items as V1EndpointSlice[]) {
    for (const e of s.endpoints ?? []) for (const a of e.addresses) seen[a] = e.conditions?.ready === true;
  }
  return seen;
}

const same = (want: Seen) => (got: Seen) => JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort());

describe('harness: two real clusters', () => {
  let set: ClusterSet;
  let pods: Pods;
  let discoveryA: DiscoveryV1Api;
  const ips: Record<string, string> = {};

  before(async () => {
    set = await startClusterSet({ names: ['a', 'b'] });
    pods = new Pods(set.get('a'));
    discoveryA = kubeConfigFor(set.get('a')).makeApiClient(DiscoveryV1Api);
    await pods.ensureNamespace('stars');
    await pods.core.createNamespacedService({
      namespace: 'stars',
      body: { metadata: { name: 'backend' }, spec: { selector: { role: 'backend' }, ports: [{ name: 'redis', port: 6379 }] } },
    });
    for (const [name, ready] of [['backend-1', true], ['backend-2', true], ['backend-3', false]] as const) {
      const pod = await pods.create({ namespace: 'stars', name, labels: { role: 'backend' }, ready });
      ips[name] = pod.status!.podIP!;
    }
  });

  after(() => set?.down());

  test('the EndpointSlice controller lists exactly the three pods with their readiness', async () => {
    const want = { [ips['backend-1']!]: true, [ips['backend-2']!]: true, [ips['backend-3']!]: false };
    await waitFor(async () => same(want)(await endpointsOf(discoveryA, 'stars', 'backend')), { what: 'slices with the three pods' });
    for (const ip of Object.values(ips)) assert.ok(ip.startsWith('10.100.'), `${ip} is in cluster a's pod CIDR`);
  });

  test('cluster b shares nothing with a', async () => {
    const core = kubeConfigFor(set.get('b')).makeApiClient(CoreV1Api);
    const namespaces = (await core.listNamespace()).items.map((n) => n.metadata!.name);
    assert.ok(!namespaces.includes('stars'), `b has namespaces ${namespaces.join(',')}`);
    const slices = await kubeConfigFor(set.get('b')).makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces();
    const addresses = slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
    for (const ip of Object.values(ips)) assert.ok(!addresses.includes(ip));
    assert.notEqual(set.get('a').serviceCidr, set.get('b').serviceCidr);
    assert.notEqual(set.get('a').podCidr, set.get('b').podCidr);
  });

  test('pod helpers: not-ready, delete and a changed IP each reach the slices', async () => {
    await pods.setReady('stars', 'backend-1', false);
    await pods.delete('stars', 'backend-3');
    // A fresh helper (as another test or process would have) must not hand the old address back.
    const moved = await new Pods(set.get('a')).changeIp('stars', 'backend-2');
    const newIp = moved.status!.podIP!;
    assert.notEqual(newIp, ips['backend-2']);
    const want = { [ips['backend-1']!]: false, [newIp]: true };
    await waitFor(async () => same(want)(await endpointsOf(discoveryA, 'stars', 'backend')), { what: 'slices after churn' });
  });

  test('each apiserver binds loopback, advertises an address of its own that default/kubernetes holds, and its endpoint reconciler is never refused', async () => {
    const advertised = set.running.map((c) => c.advertiseAddress);
    assert.equal(new Set(advertised).size, advertised.length, `one address per cluster: ${advertised.join(', ')}`);
    for (const c of set.running) {
      assert.match(c.advertiseAddress, /^(203\.0\.113|198\.51\.100|192\.0\.2)\.\d+$/, `${c.name} advertises a documentation address`);
      const local = Object.values(networkInterfaces()).flatMap((a) => (a ?? []).map((x) => x.address));
      assert.ok(!local.includes(c.advertiseAddress), `${c.advertiseAddress} is no address of this machine`);
      assert.match(c.server, /^https:\/\/127\.0\.0\.1:/, `${c.name} is reached on loopback`);
      const kc = kubeConfigFor(c);
      const core = kc.makeApiClient(CoreV1Api);
      const discovery = kc.makeApiClient(DiscoveryV1Api);
      await waitFor(async () => {
        const ep = await core.readNamespacedEndpoints({ namespace: 'default', name: 'kubernetes' });
        return JSON.stringify((ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip))) === JSON.stringify([c.advertiseAddress]);
      }, { what: `${c.name}: default/kubernetes Endpoints holding ${c.advertiseAddress}` });
      await waitFor(async () => {
        const slice = await discovery.readNamespacedEndpointSlice({ namespace: 'default', name: 'kubernetes' });
        return JSON.stringify((slice.endpoints ?? []).flatMap((e) => e.addresses)) === JSON.stringify([c.advertiseAddress]);
      }, { what: `${c.name}: default/kubernetes EndpointSlice holding ${c.advertiseAddress}` });
    }
    // Each round of the reconciler (every 10 s) reads default/kubernetes and writes it if it
    // differs: once two more rounds than when the address was seen have read it, a refusal
    // would have been counted.
    const reads = async (c: (typeof set.running)[number]) => (await requestCounts(c))
      .filter((r) => r.resource === 'endpoints' && r.verb === 'GET').reduce((sum, r) => sum + r.value, 0);
    await Promise.all(set.running.map(async (c) => {
      const seen = await reads(c);
      await waitFor(async () => (await reads(c)) >= seen + 2, { what: `${c.name}: two more rounds of the endpoint reconciler` });
    }));
    for (const c of set.running) {
      const refused = (await requestCounts(c)).filter((r) => ['endpoints', 'endpointslices'].includes(r.resource) && r.code === '422');
      assert.deepEqual(refused, [], `${c.name}: no 422 for endpoints`);
    }
  });
});

describe('harness: restarts are recorded', () => {
  test("after a cluster restarts, the state file names its new processes, so `down` from elsewhere finds them", async () => {
    const set = await startClusterSet({ names: ['r'] });
    try {
      const stateFile = join(set.dir, STATE_DIR, 'state.json');
      const pids = () => (JSON.parse(readFileSync(stateFile, 'utf8')) as { clusters: { pids: number[] }[] }).clusters[0]!.pids;
      const before = pids();
      await set.running[0]!.restart();
      const now = set.running[0]!.processes.map((p) => p.pid);
      assert.notDeepEqual(now, before, 'the restart started new processes');
      assert.deepEqual(pids(), now);
      assert.ok(now.every(isAlive));
    } finally {
      await set.down();
    }
  });
});

describe('harness: teardown', () => {
  test('down stops every process and removes the temp dir', async (t) => {
    if (process.env.MCSYNC_TEST_KUBECONFIGS) {
      t.skip('MCSYNC_TEST_KUBECONFIGS is set: the harness did not start these clusters, so it does not stop them');
      return;
    }
    const set = await startClusterSet({ names: ['solo'] });
    const pids = set.running.flatMap((c) => c.processes.map((p) => p.pid));
    assert.equal(pids.length, 3, 'etcd, kube-apiserver, kube-controller-manager');
    assert.ok(pids.every(isAlive));
    await set.down();
    assert.deepEqual(pids.filter(isAlive), []);
    assert.equal(existsSync(set.dir), false, `${set.dir} removed`);
  });
});
