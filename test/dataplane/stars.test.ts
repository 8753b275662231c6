// The seed's example on a real flat network, both ways: Calico's "stars" services split across an
// on-premises cluster and an EKS cluster (../shared/seed/original-automation.md), every pod a
// real process, kube-proxy in iptables mode. After one `mcsync sync` with the seed's own config,
// `client` in EKS reaches `frontend` on-prem by name, `management-ui` reaches all of them, and
// on-prem pods reach the EKS services; every pod sees its caller's own pod IP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { prerequisite } from '../../harness/src/util/prerequisite.ts';
import { startDataPlane, type Attempt, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import { iptablesMasqueradedPackets } from '../../harness/src/dataplane/nat.ts';
import { EKS_SERVICES, ON_PREM_SERVICES, deployExample, starsConfigYaml } from '../../harness/src/workload/examples/stars.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { addressMap, apis, slicesOf } from '../support/kube.ts';

const skip = prerequisite('the data plane', dataPlaneUnsupported());
let dp: DataPlane;
const pods = new Map<string, RealPod>();

/** Reaches `host:port` from `from`, until it answers from a pod of `cluster` named `<prefix>-…`. */
async function reach(from: string, host: string, port: number, cluster: string, prefix: string): Promise<Attempt[]> {
  const pod = pods.get(from)!;
  const attempts = await waitFor(async () => {
    const got = await dp.get(pod, host, port, 6);
    return got.every((a) => a.reply) ? got : undefined;
  }, { what: `${from} to reach ${host}:${port}`, timeoutMs: 30_000 });
  for (const a of attempts) {
    assert.equal(a.reply!.cluster, cluster, `${host} answered from ${cluster}`);
    assert.ok(a.reply!.pod.startsWith(`${prefix}-`), `${host} answered by ${a.reply!.pod}`);
    assert.equal(a.reply!.client, pod.ip, `${a.reply!.pod} saw ${from}'s own pod IP`);
  }
  return attempts;
}

describe("the seed's stars example across two clusters of one flat network", { skip }, () => {
  before(async () => {
    dp = await startDataPlane({ names: ['onprem1', 'eks1'], proxyMode: 'iptables' });
    const start = (cluster: string) => async (p: { namespace: string; name: string; labels: Record<string, string>; containerPort: { containerPort: number } }) => {
      pods.set(p.name, await dp.runPod(cluster, { namespace: p.namespace, name: p.name, labels: p.labels, ports: [p.containerPort.containerPort] }));
    };
    await deployExample(dp.cluster('onprem1'), ON_PREM_SERVICES, start('onprem1'));
    await deployExample(dp.cluster('eks1'), EKS_SERVICES, start('eks1'));
    const onprem = apis(dp.cluster('onprem1'));
    await waitFor(async () => Object.keys(addressMap(await slicesOf(onprem, 'stars', 'frontend'))).length === 2
      && Object.keys(addressMap(await slicesOf(onprem, 'stars', 'backend'))).length === 2, { what: 'stars EndpointSlices on-prem' });
    const out = await runMcsync(['sync', '--config', writeConfig(starsConfigYaml(dp.cluster('onprem1'), dp.cluster('eks1')))]);
    assert.equal(out.code, 0, out.stderr);
  });

  after(async () => {
    await dp?.down();
  });

  test('client in EKS reaches frontend on-prem by name', async () => {
    const attempts = await reach('client-0', 'frontend.stars', 80, 'onprem1', 'frontend');
    assert.ok(attempts.every((a) => a.address!.startsWith('10.201.')), 'through the replica\'s ClusterIP in EKS');
  });

  test('management-ui in EKS reaches every service of the example, remote and local', async () => {
    await reach('management-ui-0', 'backend.stars', 6379, 'onprem1', 'backend');
    await reach('management-ui-0', 'frontend.stars', 80, 'onprem1', 'frontend');
    await reach('management-ui-0', 'client.client', 9000, 'eks1', 'client');
  });

  test('on-prem pods reach the EKS services by name the other way', async () => {
    await reach('frontend-0', 'management-ui.management-ui', 80, 'eks1', 'management-ui');
    await reach('backend-1', 'client.client', 9000, 'eks1', 'client');
  });

  test("kube-proxy masqueraded none of it (its iptables counters), though it does for a caller outside the pod CIDR", async () => {
    for (const name of ['onprem1', 'eks1']) {
      assert.equal(iptablesMasqueradedPackets(dp.network.ruleset(dp.network.node(name).ns)), 0, `${name}'s node`);
    }
    // The counter is live: the node itself (host network, outside the pod CIDR) dialling a
    // ClusterIP is exactly what kube-proxy does masquerade.
    const clientIp = (await apis(dp.cluster('eks1')).core.readNamespacedService({ namespace: 'client', name: 'client' })).spec!.clusterIP!;
    const [attempt] = await dp.getFromNode('eks1', clientIp, 9000);
    assert.equal(attempt!.reply?.pod, 'client-0', JSON.stringify(attempt));
    assert.ok(iptablesMasqueradedPackets(dp.network.ruleset(dp.network.node('eks1').ns)) > 0, 'the node\'s own call was counted');
  });
});
