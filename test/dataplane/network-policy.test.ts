// Standard NetworkPolicies enforced for real across two clusters of one flat network: each
// node runs kube-network-policies, which gives a verdict on the first packet of every
// connection it forwards. The seed's stars example: on-prem `stars` (frontend, backend) and
// EKS `client` and `management-ui`. First the rig itself, without mcsync: a default-deny in
// `stars` refuses the EKS pods, and a hand-written ipBlock /32 of the client pod (what the seed
// had to write) admits exactly that pod, which the callee sees by its own pod IP.
//
// Then mcsync in its place: the user's own policies, written as if the clusters were one and
// annotated mcsync.io/remote-clusters, get companions carrying the remote pods' IPs, kept
// current as those pods come and go; callers dial by name through the replicas mcsync writes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkingV1Api, type V1NetworkPolicy } from '@kubernetes/client-node';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { prerequisite } from '../../harness/src/util/prerequisite.ts';
import { startDataPlane, type Attempt, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import { loggedCount, verdictLines } from '../../harness/src/dataplane/network-policies.ts';
import { EKS_SERVICES, ON_PREM_SERVICES, deployExample, starsConfigYaml } from '../../harness/src/workload/examples/stars.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { COMPANION_OF, REMOTE_CLUSTERS } from '../../src/vocab/labels.ts';
import { addressMap, apis, slicesOf } from '../support/kube.ts';

const skip = prerequisite('the data plane', dataPlaneUnsupported());
// A dropped SYN never gets an answer: two seconds covers the first retransmit and keeps each
// refused attempt short.
process.env.PROBE_TIMEOUT_MS = '2000';

let dp: DataPlane;
const pods = new Map<string, RealPod>();
const pod = (name: string) => pods.get(name) ?? assert.fail(`no pod ${name}`);

function networking(cluster: string): NetworkingV1Api {
  return kubeConfigFor(dp.cluster(cluster)).makeApiClient(NetworkingV1Api);
}

async function applyPolicy(cluster: string, policy: V1NetworkPolicy): Promise<void> {
  await networking(cluster).createNamespacedNetworkPolicy({ namespace: policy.metadata!.namespace!, body: policy });
}

async function deletePolicy(cluster: string, namespace: string, name: string): Promise<void> {
  await networking(cluster).deleteNamespacedNetworkPolicy({ namespace, name });
}

/** Direct connections from `from` to a pod's own IP and port (no Service in between). */
async function dial(from: string, to: string, port: number, count = 2): Promise<Attempt[]> {
  return dp.get(pod(from), pod(to).ip, port, count);
}

/** Waits until every attempt is admitted, and checks the callee saw the caller's own pod IP. */
async function admitted(from: string, to: string, port: number): Promise<void> {
  const attempts = await waitFor(async () => {
    const got = await dial(from, to, port);
    return got.every((a) => a.reply) ? got : undefined;
  }, { what: `${from} to reach ${to}:${port}`, timeoutMs: 20_000 });
  for (const a of attempts) {
    assert.equal(a.reply!.pod, to);
    assert.equal(a.reply!.client, pod(from).ip, `${to} saw ${from}'s own pod IP`);
  }
}

/** Waits until every attempt by name reaches a pod `<prefix>-…` of `cluster`, seen by the caller's own IP. */
async function reachesByName(from: string, host: string, port: number, cluster: string, prefix: string): Promise<Attempt[]> {
  const attempts = await waitFor(async () => {
    const got = await dp.get(pod(from), host, port, 4);
    return got.every((a) => a.reply) ? got : undefined;
  }, { what: `${from} to reach ${host}:${port}`, timeoutMs: 30_000 });
  for (const a of attempts) {
    assert.equal(a.reply!.cluster, cluster);
    assert.ok(a.reply!.pod.startsWith(`${prefix}-`), `${host} answered by ${a.reply!.pod}`);
    assert.equal(a.reply!.client, pod(from).ip, `${a.reply!.pod} saw ${from}'s own pod IP`);
  }
  return attempts;
}

/** Like `refused`, by name: the name resolves (the replica is there) and the connection is dropped. */
async function refusedByName(from: string, host: string, port: number, enforcer: string): Promise<void> {
  await waitFor(async () => {
    const got = await dp.get(pod(from), host, port, 2);
    return got.every((a) => a.address && a.error === 'ETIMEDOUT');
  }, { what: `${from} to be refused by ${host}:${port}`, timeoutMs: 20_000 }).catch((err: Error) => {
    throw new Error(`${err.message}; ${enforcer}'s last verdicts:\n${verdictLines(dp.policyLog(enforcer))}`);
  });
}

/**
 * Waits until every attempt is dropped: the engine's verdict is a drop, so the caller sees no
 * answer at all (ETIMEDOUT), not a reset or an unreachable.
 */
async function refused(from: string, to: string, port: number): Promise<void> {
  await waitFor(async () => (await dial(from, to, port)).every((a) => a.error === 'ETIMEDOUT'), {
    what: `${from} to be refused by ${to}:${port}`, timeoutMs: 20_000,
  }).catch((err: Error) => {
    const cluster = pod(to).cluster;
    throw new Error(`${err.message}; ${cluster}'s last verdicts:\n${verdictLines(dp.policyLog(cluster))}`);
  });
}

before(async () => {
  if (skip) return;
  dp = await startDataPlane({ names: ['onprem1', 'eks1'], networkPolicies: true });
  const start = (cluster: string) => async (p: { namespace: string; name: string; labels: Record<string, string>; containerPort: { containerPort: number } }) => {
    pods.set(p.name, await dp.runPod(cluster, { namespace: p.namespace, name: p.name, labels: p.labels, ports: [p.containerPort.containerPort] }));
  };
  await deployExample(dp.cluster('onprem1'), ON_PREM_SERVICES, start('onprem1'));
  await deployExample(dp.cluster('eks1'), EKS_SERVICES, start('eks1'));
  // A pod of the EKS cluster that no policy names: what must stay out.
  pods.set('intruder-0', await dp.runPod('eks1', { namespace: 'client', name: 'intruder-0', labels: { role: 'intruder' }, ports: [9000] }));
});

after(async () => {
  await dp?.down();
});

describe('the rig: kube-network-policies enforces a hand-written ipBlock across clusters', { skip }, () => {
  test('with no policy, EKS pods reach on-prem pods by pod IP and are seen by their own IP', async () => {
    await admitted('client-0', 'frontend-0', 80);
    await admitted('intruder-0', 'frontend-0', 80);
  });

  test('a default-deny ingress in on-prem stars refuses them', async () => {
    await applyPolicy('onprem1', {
      metadata: { name: 'default-deny', namespace: 'stars' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    await refused('client-0', 'frontend-0', 80);
    await refused('intruder-0', 'frontend-0', 80);
  });

  test("an ipBlock /32 of the client's pod IP admits that pod only, to the pods and port it names", async () => {
    await applyPolicy('onprem1', {
      metadata: { name: 'frontend-from-client-ip', namespace: 'stars' },
      spec: {
        podSelector: { matchLabels: { role: 'frontend' } },
        policyTypes: ['Ingress'],
        ingress: [{ _from: [{ ipBlock: { cidr: `${pod('client-0').ip}/32` } }], ports: [{ protocol: 'TCP', port: 80 }] }],
      },
    });
    await admitted('client-0', 'frontend-0', 80);
    await admitted('client-0', 'frontend-1', 80);
    await refused('intruder-0', 'frontend-0', 80);
    await refused('client-0', 'backend-0', 6379);
  });
});

/** Whether an IPv4 CIDR holds an address (companions may aggregate pods that fill a block). */
function covers(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(base!) / size) === Math.floor(n(ip) / size);
}

/** The blocks of every companion mcsync wrote in a namespace, ingress and egress. */
async function companionBlocks(cluster: string, namespace: string): Promise<string[]> {
  const list = await networking(cluster).listNamespacedNetworkPolicy({ namespace });
  return list.items
    .filter((p) => p.metadata?.annotations?.[COMPANION_OF])
    .flatMap((p) => [...(p.spec?.ingress ?? []).flatMap((r) => r._from ?? []), ...(p.spec?.egress ?? []).flatMap((r) => r.to ?? [])])
    .flatMap((peer) => (peer.ipBlock ? [peer.ipBlock.cidr] : []));
}

const companionsCover = async (cluster: string, namespace: string, ip: string) =>
  (await companionBlocks(cluster, namespace)).some((b) => covers(b, ip));

const nsIs = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });

describe('mcsync: the user\'s policies, spanned to the other cluster, enforced through the replicas', { skip }, () => {
  let configPath: string;
  let ctl: RunningController;

  before(async () => {
    // The rig's hand-written ipBlock goes; the default-deny in stars stays.
    await deletePolicy('onprem1', 'stars', 'frontend-from-client-ip');
    configPath = writeConfig(`networkPolicies: true\ncontroller:\n  watchTimeout: 5s\n${starsConfigYaml(dp.cluster('onprem1'), dp.cluster('eks1'))}`);
    const spanned = { annotations: { [REMOTE_CLUSTERS]: 'eksCluster1' } };
    // The stars policies, as if EKS's namespaces were on-prem.
    await applyPolicy('onprem1', {
      metadata: { name: 'frontend-policy', namespace: 'stars', ...spanned },
      spec: {
        podSelector: { matchLabels: { role: 'frontend' } }, policyTypes: ['Ingress'],
        ingress: [{ _from: [{ namespaceSelector: nsIs('client'), podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 80 }] }],
      },
    });
    await applyPolicy('onprem1', {
      metadata: { name: 'backend-policy', namespace: 'stars', ...spanned },
      spec: {
        podSelector: { matchLabels: { role: 'backend' } }, policyTypes: ['Ingress'],
        ingress: [{
          _from: [{ podSelector: { matchLabels: { role: 'frontend' } } }, { namespaceSelector: nsIs('client'), podSelector: { matchLabels: { role: 'client' } } }],
          ports: [{ protocol: 'TCP', port: 6379 }],
        }],
      },
    });
    await applyPolicy('onprem1', {
      metadata: { name: 'allow-ui', namespace: 'stars', ...spanned },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ _from: [{ namespaceSelector: nsIs('management-ui') }] }] },
    });
    const onprem = apis(dp.cluster('onprem1'));
    await waitFor(async () => Object.keys(addressMap(await slicesOf(onprem, 'stars', 'frontend'))).length === 2
      && Object.keys(addressMap(await slicesOf(onprem, 'stars', 'backend'))).length === 2, { what: 'stars EndpointSlices on-prem' });
    const out = await runMcsync(['sync', '--config', configPath]);
    assert.equal(out.code, 0, out.stderr);
  });

  after(async () => {
    await ctl?.stop('SIGTERM');
  });

  test('after mcsync sync, management-ui and client reach frontend and backend by name; the intruder is refused', async () => {
    for (const host of ['frontend.stars', 'backend.stars']) {
      const port = host === 'frontend.stars' ? 80 : 6379;
      const prefix = host.split('.')[0]!;
      const viaReplica = await reachesByName('client-0', host, port, 'onprem1', prefix);
      assert.ok(viaReplica.every((a) => a.address!.startsWith('10.201.')), 'dialled the replica\'s ClusterIP in EKS');
      await reachesByName('management-ui-0', host, port, 'onprem1', prefix);
      await refusedByName('intruder-0', host, port, 'onprem1');
    }
  });

  test('under mcsync run, the client rescheduled with a new IP gets in again, and its old IP, now another pod\'s, does not', async (t) => {
    ctl = await startController(['--config', configPath]);
    await ctl.ready();
    const onprem = apis(dp.cluster('onprem1'));
    const old = pod('client-0');
    await dp.stopPod(old);
    pods.delete('client-0');
    const removedAt = Date.now();
    await waitFor(async () => !(await companionsCover('onprem1', 'stars', old.ip)), { what: `${old.ip} to leave the companions`, timeoutMs: 20_000, intervalMs: 50 });
    const oldIpGoneMs = Date.now() - removedAt;

    // The same pod back on another address, as a reschedule does. Each moment below is when a
    // poll (every 50 ms) first saw it: the Pod Running with its new IP in EKS, that IP in the
    // on-prem replica's slices, in the on-prem companions, and a first admitted connection.
    const eks = apis(dp.cluster('eks1'));
    const newIp = async () => {
      const p = await eks.core.readNamespacedPod({ namespace: 'client', name: 'client-0' }).catch(() => undefined);
      const ip = p?.status?.phase === 'Running' ? p.status.podIP : undefined;
      return ip !== old.ip ? ip : undefined;
    };
    const seen = (what: string, probe: (ip: string) => Promise<boolean>) => waitFor(async () => {
      const ip = await newIp();
      return ip !== undefined && (await probe(ip)) ? Date.now() : undefined;
    }, { what, timeoutMs: 30_000, intervalMs: 50 });
    const runningSeen = seen('the new client pod Running', async () => true);
    const replicaSeen = seen('the client replica on-prem to list the new IP', async (ip) => addressMap(await slicesOf(onprem, 'client', 'client'))[ip] !== undefined);
    const companionSeen = seen('the companions to admit the new IP', (ip) => companionsCover('onprem1', 'stars', ip));
    pods.set('client-0', await dp.runPod('eks1', { namespace: 'client', name: 'client-0', labels: { role: 'client' }, ports: [9000] }));
    const fresh = pod('client-0');
    assert.notEqual(fresh.ip, old.ip);
    const watcher = dp.watch(fresh, 'frontend.stars', 80, 100);
    let firstAdmitted: number;
    try {
      firstAdmitted = await waitFor(async () => watcher.attempts.find((a) => a.reply)?.t, { what: 'a first admitted connection from the new client', timeoutMs: 30_000, intervalMs: 50 });
    } finally {
      await watcher.stop();
    }
    const before = watcher.attempts.filter((a) => a.t < firstAdmitted);
    const [running, replicaAt, companionAt] = await Promise.all([runningSeen, replicaSeen, companionSeen]);
    await reachesByName('client-0', 'frontend.stars', 80, 'onprem1', 'frontend');

    // The old address handed to a pod the policies do not name.
    pods.set('squatter-0', await dp.runPod('eks1', { namespace: 'client', name: 'squatter-0', labels: { role: 'squatter' }, ports: [9000], ip: old.ip }));
    await refusedByName('squatter-0', 'frontend.stars', 80, 'onprem1');
    await refusedByName('squatter-0', 'backend.stars', 6379, 'onprem1');
    t.diagnostic(`old IP out of the companions ${oldIpGoneMs} ms after its pod was deleted`);
    t.diagnostic(`from the new pod Running: replica lists it after ${replicaAt - running} ms, companion admits it after ${companionAt - running} ms, ` +
      `first admitted connection after ${firstAdmitted - running} ms (the client's first dial came ${watcher.attempts[0]!.t - running} ms after Running, ` +
      `once its process listened; ${before.length} dial(s) before the admitted one)`);
  });

  test('egress, still under mcsync run: a policy in EKS that lets client talk only to on-prem backends works through the replica', async () => {
    await applyPolicy('eks1', {
      metadata: { name: 'client-egress', namespace: 'client', annotations: { [REMOTE_CLUSTERS]: 'onPremCluster1' } },
      spec: {
        podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'],
        egress: [
          { to: [{ namespaceSelector: nsIs('stars'), podSelector: { matchLabels: { role: 'backend' } } }], ports: [{ protocol: 'TCP', port: 6379 }] },
          // Its own cluster's DNS, or no name resolves.
          { to: [{ namespaceSelector: nsIs('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        ],
      },
    });
    await waitFor(async () => (await companionsCover('eks1', 'client', pod('backend-0').ip)) && (await companionsCover('eks1', 'client', pod('backend-1').ip)),
      { what: 'the egress companion in EKS to list the backends', timeoutMs: 20_000 });
    await reachesByName('client-0', 'backend.stars', 6379, 'onprem1', 'backend');
    // frontend's own ingress policy admits client: what refuses it now is EKS's egress, on EKS's
    // node, so the packets never reach the on-prem engine.
    const denied = (cluster: string, direction: string) => loggedCount(dp.policyLog(cluster), `Packet denied by ${direction} policy`);
    const [egressBefore, ingressBefore] = [denied('eks1', 'egress'), denied('onprem1', 'ingress')];
    await refusedByName('client-0', 'frontend.stars', 80, 'eks1');
    assert.ok(denied('eks1', 'egress') > egressBefore, 'EKS\'s engine denied them by egress policy');
    assert.equal(denied('onprem1', 'ingress'), ingressBefore, 'on-prem\'s engine never had to');
    await reachesByName('management-ui-0', 'frontend.stars', 80, 'onprem1', 'frontend');
  });
});
