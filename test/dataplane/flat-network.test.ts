// The whole path on a real flat network: two clusters, each with a node running kube-proxy
// (nftables mode) and a CoreDNS pod, pods that are real processes in their own network
// namespaces, a router between the nodes and no NAT. After mcsync replicates cluster a's
// Services into b, a client pod in b resolves them with b's own DNS and connects through b's
// own kube-proxy straight to a's pods, which see the client's own pod IP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { prerequisite } from '../../harness/src/util/prerequisite.ts';
import { startDataPlane, type Attempt, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import { isKubeProxyMasquerade, sourceNatRules } from '../../harness/src/dataplane/nat.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { addressMap, apis, getService, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { kubeConfigFor } from '../../harness/src/workload/pods.ts';

const skip = prerequisite('the data plane', dataPlaneUnsupported());
const NS = 'stars';
const BACKEND = `backend.${NS}.svc.cluster.local`;
const DB = `db.${NS}.svc.cluster.local`;
const DB_0 = `db-0.db.${NS}.svc.cluster.local`;

let dp: DataPlane;
let B: Apis;
let client: RealPod;
const backends = new Map<string, RealPod>();
let db0: RealPod;
let configPath: string;

const backendPod = async (name: string) => {
  const pod = await dp.runPod('a', { namespace: NS, name, labels: { app: 'backend' }, ports: [8080] });
  backends.set(name, pod);
  return pod;
};

/** Which pods the attempts reached; throws with the failures when any attempt failed. */
function reached(attempts: Attempt[]): Set<string> {
  const failed = attempts.filter((a) => !a.reply);
  if (failed.length) throw new Error(`${failed.length}/${attempts.length} connections failed: ${JSON.stringify(failed)}`);
  return new Set(attempts.map((a) => a.reply!.pod));
}

async function replicaClusterIp(name: string): Promise<string> {
  return waitFor(async () => (await getService(B, NS, name))?.spec?.clusterIP, { what: `replica ${NS}/${name} in b` });
}

describe('a client pod in cluster b reaches cluster a\'s pods by name, with no NAT', { skip }, () => {
  before(async () => {
    dp = await startDataPlane({ names: ['a', 'b'], proxyMode: 'nftables', mcs: true });
    B = apis(dp.cluster('b'));
    const a = apis(dp.cluster('a'));
    await dp.namespace('a', NS);
    const svc = (name: string, spec: V1Service['spec']) => a.core.createNamespacedService({ namespace: NS, body: { metadata: { name }, spec } });
    await svc('backend', { selector: { app: 'backend' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    await svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] });
    await backendPod('backend-0');
    await backendPod('backend-1');
    db0 = await dp.runPod('a', { namespace: NS, name: 'db-0', labels: { app: 'db' }, ports: [5432], hostname: 'db-0', subdomain: 'db' });
    client = await dp.runPod('b', { namespace: 'client', name: 'client-0', labels: { app: 'client' }, ports: [9000] });
    configPath = writeConfig([
      'instance: dataplane',
      'controller:', '  watchTimeout: 5s',
      'clusters:',
      '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`, '  services:', `  - namespace: ${NS}`,
      '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`,
      '',
    ].join('\n'));
    // The source's controller-manager fills its slices asynchronously; sync what is really there.
    await waitFor(async () => Object.keys(addressMap(await slicesOf(a, NS, 'backend'))).length === 2 && Object.keys(addressMap(await slicesOf(a, NS, 'db'))).length === 1,
      { what: 'source EndpointSlices in a' });
  });

  after(async () => {
    await dp?.down();
  });

  describe('after mcsync sync', () => {
    before(async () => {
      const out = await runMcsync(['sync', '--config', configPath]);
      assert.equal(out.code, 0, out.stderr);
    });

    test("b's CoreDNS resolves the Service name to b's ClusterIP of the replica", async () => {
      const clusterIp = await replicaClusterIp('backend');
      assert.ok(clusterIp.startsWith('10.201.'), `the replica's ClusterIP ${clusterIp} is one of b's service CIDR`);
      const answer = await waitFor(async () => {
        const r = await dp.lookup(client, BACKEND);
        return r.addresses.length ? r : undefined;
      }, { what: `${BACKEND} to resolve in b` });
      assert.deepEqual(answer.addresses, [clusterIp]);
      // The search path a pod gets works too: "<svc>.<namespace>" from another namespace.
      assert.deepEqual((await dp.lookup(client, `backend.${NS}`)).addresses, [clusterIp]);
    });

    test("connections through b's kube-proxy land on a's pods, which see the client's own pod IP", async () => {
      const clusterIp = await replicaClusterIp('backend');
      const attempts = await waitFor(async () => {
        const got = await dp.get(client, BACKEND, 80, 20);
        return reached(got).size === 2 ? got : undefined;
      }, { what: 'both backends reached from b', timeoutMs: 30_000 });
      for (const a of attempts) {
        assert.equal(a.address, clusterIp, 'the client dialled the replica\'s ClusterIP');
        assert.equal(a.reply!.cluster, 'a');
        assert.ok([backends.get('backend-0')!.ip, backends.get('backend-1')!.ip].includes(a.reply!.ip), `answered from a pod IP of a (${a.reply!.ip})`);
        assert.equal(a.reply!.client, client.ip, 'the source address arrived untranslated');
      }
    });

    test('the headless name and the pod\'s hostname resolve to the pod IP in a and connect', async () => {
      await replicaClusterIp('db'); // exists
      assert.equal((await getService(B, NS, 'db'))!.spec!.clusterIP, 'None', 'the replica is headless too');
      const dbAnswer = await waitFor(async () => {
        const r = await dp.lookup(client, DB);
        return r.addresses.length ? r : undefined;
      }, { what: `${DB} to resolve in b` });
      assert.deepEqual(dbAnswer.addresses, [db0.ip]);
      const hostAnswer = await waitFor(async () => {
        const r = await dp.lookup(client, DB_0);
        return r.addresses.length ? r : undefined;
      }, { what: `${DB_0} to resolve in b` });
      assert.deepEqual(hostAnswer.addresses, [db0.ip]);
      const [attempt] = await dp.get(client, DB_0, 5432);
      assert.equal(attempt!.reply?.pod, 'db-0', JSON.stringify(attempt));
      assert.equal(attempt!.reply!.client, client.ip);
    });

    test('no rule anywhere in the network rewrites source addresses, beyond kube-proxy\'s own mark-gated one', () => {
      for (const ns of dp.network.namespaces()) {
        const nat = sourceNatRules(dp.network.ruleset(ns));
        if (ns === dp.network.router || !ns.endsWith('-node')) {
          assert.deepEqual(nat, [], `${ns} has no source NAT at all`);
        } else {
          assert.ok(nat.length > 0, `kube-proxy's masquerade chain is visible in ${ns}, so the check is looking at real rules`);
          assert.deepEqual(nat.filter((r) => !isKubeProxyMasquerade(r)), [], `${ns}: only kube-proxy's own chain`);
        }
      }
    });
  });

  describe('under mcsync run', () => {
    let ctl: RunningController;

    before(async () => {
      // Start from nothing in b, so what answers below is what `run` made.
      const pruned = await runMcsync(['prune', '--config', configPath, '--cluster', 'b']);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.equal(await getService(B, NS, 'backend'), undefined);
      // CoreDNS learns of the deletion through its watch, a moment after prune returns.
      await waitFor(async () => (await dp.lookup(client, BACKEND)).addresses.length === 0, { what: 'the name to be gone from b\'s DNS' });
      ctl = await startController(['--config', configPath]);
      await ctl.ready();
    });

    after(async () => {
      await ctl?.stop('SIGTERM');
    });

    test('run replicates the Services: b reaches both backends again', async () => {
      await waitFor(async () => reached(await dp.get(client, BACKEND, 80, 20)).size === 2 ? true : undefined,
        { what: 'both backends reached from b under run', timeoutMs: 30_000 });
    });

    test('a backend replaced by one with a new IP: within a bounded wait every connection lands on live pods only', async (t) => {
      const old = backends.get('backend-0')!;
      await dp.stopPod(old);
      backends.delete('backend-0');
      const fresh = await backendPod('backend-2');
      assert.notEqual(fresh.ip, old.ip);
      const started = Date.now();
      await waitFor(async () => {
        const pods = reached(await dp.get(client, BACKEND, 80, 20));
        return pods.size === 2 && pods.has('backend-1') && pods.has('backend-2') ? true : undefined;
      }, { what: 'connections only to backend-1 and backend-2', timeoutMs: 30_000, intervalMs: 100 });
      const converged = Date.now() - started;
      // Settled: another batch never touches the dead pod either.
      const again = reached(await dp.get(client, BACKEND, 80, 20));
      assert.deepEqual([...again].sort(), ['backend-1', 'backend-2']);
      t.diagnostic(`converged ${converged} ms after the new pod was ready`);
    });

    test("all of a's backends gone: b's replica has no ready endpoint and connections are refused, not left hanging", async (t) => {
      for (const name of [...backends.keys()]) {
        await dp.stopPod(backends.get(name)!);
        backends.delete(name);
      }
      await waitFor(async () => {
        const slices = await slicesOf(B, NS, 'backend', REPLICA_SLICES);
        return Object.values(addressMap(slices)).every((ready) => !ready) ? true : undefined;
      }, { what: 'no ready endpoint in b\'s replica' });
      // Refused is b's kube-proxy rejecting the dial itself; a dial sent to a dead IP would end
      // in ETIMEDOUT or EHOSTUNREACH instead. How fast is reported, not asserted: the kernel
      // rate-limits the ICMP that carries refusals (a burst of 6, then 1/s per client), so a
      // client that keeps dialling may see one only after its first SYN retransmit (1 s).
      const attempts = await waitFor(async () => {
        const got = await dp.get(client, BACKEND, 80, 5);
        return got.every((a) => a.error === 'ECONNREFUSED') ? got : undefined;
      }, { what: 'connections refused by b\'s kube-proxy', timeoutMs: 30_000 });
      assert.equal(attempts.length, 5);
      t.diagnostic(`refused after ${attempts.map((a) => a.ms).join(', ')} ms`);
    });
  });

  describe('the Multi-Cluster Services way: a ServiceExport in a, clusterset.local in b', () => {
    const MNS = 'mcs';
    const HELLO = `hello.${MNS}.svc.clusterset.local`;
    const PEERS = `peers.${MNS}.svc.clusterset.local`;
    const PEER_0 = `peer-0.a.peers.${MNS}.svc.clusterset.local`;
    let ctl: RunningController;
    let hello: RealPod;
    let peer: RealPod;
    const objects = () => KubernetesObjectApi.makeApiClient(kubeConfigFor(dp.cluster('a')));
    const importIp = async () => waitFor(async () => {
      const si = await KubernetesObjectApi.makeApiClient(kubeConfigFor(dp.cluster('b')))
        .read({ apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceImport', metadata: { namespace: MNS, name: 'hello' } })
        .catch(() => undefined) as { spec?: { ips?: string[] } } | undefined;
      return si?.spec?.ips?.[0];
    }, { what: 'the ServiceImport\'s IP in b', timeoutMs: 30_000 });

    before(async () => {
      const a = apis(dp.cluster('a'));
      await dp.namespace('a', MNS);
      await dp.namespace('b', MNS);
      await a.core.createNamespacedService({ namespace: MNS, body: { metadata: { name: 'hello' }, spec: { selector: { app: 'hello' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
      await a.core.createNamespacedService({ namespace: MNS, body: { metadata: { name: 'peers' }, spec: { clusterIP: 'None', selector: { app: 'peers' }, ports: [{ name: 'p', port: 7000 }] } } });
      hello = await dp.runPod('a', { namespace: MNS, name: 'hello-0', labels: { app: 'hello' }, ports: [8080] });
      peer = await dp.runPod('a', { namespace: MNS, name: 'peer-0', labels: { app: 'peers' }, ports: [7000], hostname: 'peer-0', subdomain: 'peers' });
      for (const name of ['hello', 'peers']) {
        await objects().create({ apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { namespace: MNS, name } });
      }
      const mcsConfig = writeConfig([
        'instance: mcs', 'mcs: true',
        'controller:', '  watchTimeout: 5s',
        'clusters:',
        '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`,
        '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`,
        '',
      ].join('\n'));
      ctl = await startController(['--config', mcsConfig]);
      await ctl.ready();
    });

    after(async () => {
      await ctl?.stop('SIGTERM');
    });

    test('b resolves hello.mcs.svc.clusterset.local to its ServiceImport\'s IP and connects through kube-proxy to a\'s pod, which sees the client\'s own IP', async () => {
      const ip = await importIp();
      assert.ok(ip.startsWith('10.201.'), `the clusterset IP ${ip} is one of b's service CIDR (its derived Service)`);
      const answer = await waitFor(async () => {
        const r = await dp.lookup(client, HELLO);
        return r.addresses.length ? r : undefined;
      }, { what: `${HELLO} to resolve in b` });
      assert.deepEqual(answer.addresses, [ip]);
      const attempts = await waitFor(async () => {
        const got = await dp.get(client, HELLO, 80, 5);
        return got.every((x) => x.reply) ? got : undefined;
      }, { what: 'hello reached from b through clusterset.local', timeoutMs: 30_000 });
      for (const x of attempts) {
        assert.equal(x.address, ip);
        assert.equal(x.reply!.pod, 'hello-0');
        assert.equal(x.reply!.ip, hello.ip);
        assert.equal(x.reply!.client, client.ip, 'the source address arrived untranslated');
      }
    });

    test('a headless export resolves to the pod IPs, and <hostname>.<clusterid>.<svc>.<ns>.svc.clusterset.local to one pod', async () => {
      const all = await waitFor(async () => {
        const r = await dp.lookup(client, PEERS);
        return r.addresses.length ? r : undefined;
      }, { what: `${PEERS} to resolve in b`, timeoutMs: 30_000 });
      assert.deepEqual(all.addresses, [peer.ip]);
      const one = await waitFor(async () => {
        const r = await dp.lookup(client, PEER_0);
        return r.addresses.length ? r : undefined;
      }, { what: `${PEER_0} to resolve in b` });
      assert.deepEqual(one.addresses, [peer.ip]);
      const [attempt] = await dp.get(client, PEER_0, 7000);
      assert.equal(attempt!.reply?.pod, 'peer-0', JSON.stringify(attempt));
      assert.equal(attempt!.reply!.client, client.ip);
    });
  });
});
