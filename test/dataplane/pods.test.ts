// The data plane's pod runtime and exec server (harness/src/dataplane/kubelet/), against a real
// apiserver, scheduler and controller-manager: a Deployment applied through the API gets a pod
// whose command runs as a process in a network namespace of its own with the pod's address and
// environment; `kubectl exec` (WebSocket, and SPDY as client-go's SPDY executor uses it) runs a
// command inside that namespace with its stdout, stderr and exit code; a container whose command
// cannot run says why; deleting a pod ends its processes and removes its namespace. The rig is
// dual-stack: each pod has an IPv4 and an IPv6 address, and an IPv6 round trip (across the
// router to the other cluster, and through kube-proxy to an IPv6 ClusterIP) keeps the caller's
// own IPv6 address as the source.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { ensureComponents } from '../../harness/src/controlplane/components.ts';
import { dataPlaneUnsupported, run } from '../../harness/src/dataplane/command.ts';
import { startDataPlane, type DataPlane } from '../../harness/src/dataplane/dataplane.ts';
import { kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { isAlive, logTail } from '../../harness/src/util/process.ts';
import { canonical6 } from '../../harness/src/dataplane/ipv6.ts';
import { join } from 'node:path';
import { waitFor } from '../../harness/src/util/wait.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';

// A machine that cannot build the data plane skips with the reason; in CI it fails, naming it.
const unsupported = dataPlaneUnsupported();
const skip = process.env.CI ? false : unsupported;
const NS = 'shop';

let dp: DataPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let kubectl: string;

function kubectlExec(pod: string, command: string[], env: Record<string, string> = {}, cluster = 'a') {
  const out = spawnSync(kubectl, ['--kubeconfig', dp.cluster(cluster).kubeconfigPath, 'exec', '-n', NS, pod, '--', ...command], {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

async function helloPods(): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=hello' })).items;
}

/** The peer address socat reports (`[0000:…:0001]` in full for IPv6) in canonical text. */
function peerOf(reply: string): string {
  const m = /^peer \[([0-9a-f:]+)\]$/.exec(reply.trim());
  if (!m) throw new Error(`not a reply of the echo pod: ${JSON.stringify(reply)}`);
  return canonical6(m[1]!);
}

async function runningPod(cluster: string, name: string): Promise<V1Pod> {
  const api = kubeConfigFor(dp.cluster(cluster)).makeApiClient(CoreV1Api);
  return waitFor(async () => {
    const p = await api.readNamespacedPod({ namespace: NS, name });
    return ready(p) ? p : undefined;
  }, { what: `pod ${name} Ready in ${cluster}` });
}

function ready(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

describe('pods scheduled to a data-plane node run as processes, and kubectl exec runs inside them', { skip }, () => {
  let pod: V1Pod;

  before(async () => {
    if (unsupported) throw new Error(`the data plane cannot be built here: ${unsupported}`);
    ({ kubectl } = await ensureComponents(['kubectl']));
    dp = await startDataPlane({ names: ['a', 'b'], pods: true, dualStack: true });
    const kc = kubeConfigFor(dp.cluster('a'));
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await dp.namespace('a', NS);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'hello' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'hello' } },
          template: {
            metadata: { labels: { app: 'hello' } },
            spec: {
              containers: [{
                name: 'hello', image: 'example.invalid/ignored:1',
                command: ['/bin/sh'],
                args: ['-c', 'echo "starting with $(GREETING)"; exec socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:\'echo "pod ip $MY_POD_IPS"\''],
                env: [
                  { name: 'MY_POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
                  { name: 'GREETING', value: 'hello' },
                ],
              }],
            },
          },
        },
      },
    });
    pod = await waitFor(async () => (await helloPods()).find((p) => p.status?.phase === 'Running' && ready(p) && !p.metadata?.deletionTimestamp),
      { what: 'a Running, Ready pod of the hello Deployment' });
  });

  after(async () => {
    await dp?.down();
  });

  test('the pod has an address of each family from the cluster pod ranges, held by a namespace of its own where its command runs', async () => {
    const ip = pod.status!.podIP!;
    assert.ok(ip.startsWith('10.100.'), ip);
    const ips = pod.status!.podIPs!.map((p) => p.ip);
    assert.equal(ips[0], ip);
    assert.ok(ips[1]?.startsWith('fd00:10:64::'), ips.join(','));
    assert.equal(ips.length, 2);
    const netns = dp.runtime('a')!.netnsOf(NS, pod.metadata!.name!);
    assert.ok(netns, 'the runtime knows the pod');
    assert.match(run('ip', ['-n', netns.ns, '-o', 'addr', 'show', 'dev', 'eth0']), new RegExp(`inet ${ip.replace(/\./g, '\\.')}/32`));
    const pids = run('ip', ['netns', 'pids', netns.ns]).trim().split('\n').filter(Boolean);
    assert.ok(pids.length > 0, 'a process runs in the pod namespace');
    const status = pod.status!.containerStatuses!.find((c) => c.name === 'hello')!;
    assert.ok(status.state?.running, JSON.stringify(status));
    assert.equal(status.ready, true);
  });

  test('kubectl exec (WebSocket) runs in the pod namespace: stdout, stderr and the exit code come back', () => {
    const ip = pod.status!.podIP!;
    const addr = kubectlExec(pod.metadata!.name!, ['ip', '-o', 'addr', 'show', 'dev', 'eth0']);
    assert.equal(addr.code, 0, addr.stderr);
    assert.match(addr.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/32`));
    const r = kubectlExec(pod.metadata!.name!, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err$/m);
    assert.equal(r.code, 3);
  });

  test('kubectl exec over SPDY (as client-go\'s SPDY executor) works the same, with the container environment', () => {
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const r = kubectlExec(pod.metadata!.name!, ['sh', '-c', 'echo "$MY_POD_IPS $GREETING"; echo err >&2; exit 4'], spdy);
    assert.equal(r.stdout, `${pod.status!.podIPs!.map((p) => p.ip).join(',')} hello\n`);
    assert.match(r.stderr, /^err$/m);
    assert.equal(r.code, 4);
  });

  test('the pod\'s own command serves: from inside it, nc reaches socat on its address, which answers with the pod IP it was given', () => {
    const ip = pod.status!.podIP!;
    const r = kubectlExec(pod.metadata!.name!, ['sh', '-c', `echo hi | nc -w 2 ${ip} 8080`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `pod ip ${pod.status!.podIPs!.map((p) => p.ip).join(',')}`);
  });

  test('a container whose command cannot run here is reported waiting with the reason, and its pod is not Ready', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'broken' },
        spec: { containers: [{ name: 'missing', image: 'x', command: ['no-such-command-here'] }, { name: 'imageonly', image: 'nginx:1' }] },
      },
    });
    const broken = await waitFor(async () => {
      const p = await core.readNamespacedPod({ namespace: NS, name: 'broken' });
      return (p.status?.containerStatuses?.length ?? 0) === 2 ? p : undefined;
    }, { what: 'the status of pod broken' });
    const state = (name: string) => broken.status!.containerStatuses!.find((c) => c.name === name)!.state?.waiting;
    assert.equal(state('missing')?.reason, 'RunContainerError');
    assert.match(state('missing')!.message!, /"no-such-command-here": executable file not found in \$PATH/);
    assert.equal(state('imageonly')?.reason, 'CreateContainerError');
    assert.match(state('imageonly')!.message!, /no command or args.*nginx:1/);
    assert.equal(ready(broken), false);
    assert.notEqual(broken.status!.phase, 'Running');
  });

  describe('IPv6, end to end', () => {
    let echo: V1Pod;
    let client: V1Pod;
    let clusterIp6: string;

    before(async () => {
      const coreB = kubeConfigFor(dp.cluster('b')).makeApiClient(CoreV1Api);
      await dp.namespace('b', NS);
      // Replies with the address the connection came from, as the kernel saw it.
      await core.createNamespacedPod({
        namespace: NS,
        body: {
          metadata: { name: 'echo6', labels: { app: 'echo6' } },
          spec: { containers: [{ name: 'echo', image: 'x', command: ['socat', 'TCP6-LISTEN:9000,ipv6only=0,fork,reuseaddr', 'SYSTEM:echo "peer $SOCAT_PEERADDR"'] }] },
        },
      });
      const svc = await core.createNamespacedService({
        namespace: NS,
        body: { metadata: { name: 'echo6' }, spec: { ipFamilyPolicy: 'PreferDualStack', selector: { app: 'echo6' }, ports: [{ port: 9000 }] } },
      });
      clusterIp6 = svc.spec!.clusterIPs!.find((ip) => ip.includes(':'))!;
      assert.ok(clusterIp6, `a dual-stack Service has an IPv6 ClusterIP: ${svc.spec!.clusterIPs!.join(',')}`);
      await coreB.createNamespacedPod({
        namespace: NS,
        body: { metadata: { name: 'client' }, spec: { containers: [{ name: 'c', image: 'x', args: ['/bin/sh', '-c', 'while :; do sleep 5; done'] }] } },
      });
      echo = await runningPod('a', 'echo6');
      client = await runningPod('b', 'client');
    });

    test('a pod in b reaches a pod in a over IPv6 across the router, and is seen by its own IPv6 address', () => {
      const target = echo.status!.podIPs![1]!.ip;
      const r = kubectlExec('client', ['sh', '-c', `echo hi | nc -6 -w 2 ${target} 9000`], {}, 'b');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(peerOf(r.stdout), client.status!.podIPs![1]!.ip);
    });

    test('a pod reaches an IPv6 ClusterIP through kube-proxy, and the backend sees the caller\'s own IPv6 address', async () => {
      // The Service's endpoints reach kube-proxy through the EndpointSlice controller first.
      const caller = pod.metadata!.name!;
      const r = await waitFor(async () => {
        const out = kubectlExec(caller, ['sh', '-c', `echo hi | nc -6 -w 2 ${clusterIp6} 9000`]);
        return out.code === 0 && out.stdout.startsWith('peer') ? out : undefined;
      }, { what: `a reply through [${clusterIp6}]:9000` });
      assert.equal(peerOf(r.stdout), pod.status!.podIPs![1]!.ip);
    });

    test('a replica mcsync sync makes in b (no MCS) is dual-stack, and its IPv6 ClusterIP reaches a\'s pod, which sees the caller\'s own IPv6 address', async () => {
      const config = writeConfig([
        'instance: pods-v6', 'clusters:',
        '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`, '  services:', `  - namespace: ${NS}`, '    names: [echo6]',
        '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`, '',
      ].join('\n'));
      const out = await runMcsync(['sync', '--config', config]);
      assert.equal(out.code, 0, out.stderr);
      const replica = await kubeConfigFor(dp.cluster('b')).makeApiClient(CoreV1Api).readNamespacedService({ namespace: NS, name: 'echo6' });
      assert.equal(replica.spec?.ipFamilyPolicy, 'PreferDualStack', 'the source asks for dual stack, so the replica does');
      const replicaIp6 = replica.spec!.clusterIPs!.find((ip) => ip.includes(':'));
      assert.ok(replicaIp6, `the replica has an IPv6 ClusterIP in b: ${replica.spec!.clusterIPs!.join(',')}`);
      const r = await waitFor(async () => {
        const o = kubectlExec('client', ['sh', '-c', `echo hi | nc -6 -w 2 ${replicaIp6} 9000`], {}, 'b');
        return o.code === 0 && o.stdout.startsWith('peer') ? o : undefined;
      }, { what: `a reply through the replica's [${replicaIp6}]:9000 in b` });
      assert.equal(peerOf(r.stdout), client.status!.podIPs![1]!.ip, 'no NAT on the way: a\'s pod sees b\'s client');
    });
  });

  test('deleting the pod ends its processes and removes its namespace; the ReplicaSet\'s new pod runs', async () => {
    const name = pod.metadata!.name!;
    const netns = dp.runtime('a')!.netnsOf(NS, name)!;
    const pids = run('ip', ['netns', 'pids', netns.ns]).trim().split('\n').filter(Boolean).map(Number);
    await core.deleteNamespacedPod({ namespace: NS, name });
    await waitFor(async () => !(await core.readNamespacedPod({ namespace: NS, name }).then(() => true, () => false)), { what: `pod ${name} gone` })
      .catch((err: Error) => {
        throw new Error(`${err.message}; the pod runtime's log:\n${logTail(join(dp.cluster('a').dir, 'logs', 'pod-runtime.log'), 30)}`);
      });
    assert.deepEqual(pids.filter((p) => isAlive(p)), []);
    assert.ok(!run('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === netns.ns), `${netns.ns} is removed`);
    assert.equal(dp.runtime('a')!.netnsOf(NS, name), undefined);
    const next = await waitFor(async () => (await helloPods()).find((p) => p.metadata?.name !== name && ready(p)), { what: 'the replacement pod Ready' });
    const r = kubectlExec(next.metadata!.name!, ['sh', '-c', 'echo $MY_POD_IPS']);
    assert.equal(r.stdout.trim(), next.status!.podIPs!.map((p) => p.ip).join(','));
  });
});
