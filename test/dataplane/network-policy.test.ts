// Standard NetworkPolicies enforced for real across two clusters of one flat network: each
// node runs kube-network-policies, which gives a verdict on the first packet of every
// connection it forwards. The seed's stars example: on-prem `stars` (frontend, backend) and
// EKS `client` and `management-ui`. First the rig itself, without mcsync: a default-deny in
// `stars` refuses the EKS pods, and a hand-written ipBlock /32 of the client pod (what the seed
// had to write) admits exactly that pod, which the callee sees by its own pod IP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkingV1Api, type V1NetworkPolicy } from '@kubernetes/client-node';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { startDataPlane, type Attempt, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import { verdictLines } from '../../harness/src/dataplane/network-policies.ts';
import { EKS_SERVICES, ON_PREM_SERVICES, deployExample } from '../../harness/src/examples/stars.ts';
import { kubeConfigFor } from '../../harness/src/pods.ts';
import { waitFor } from '../../harness/src/wait.ts';

const skip = dataPlaneUnsupported();
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
