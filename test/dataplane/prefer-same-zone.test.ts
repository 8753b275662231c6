// trafficDistribution: PreferSameZone across clusters, on the real data path. Nodes are zoned so
// that two clusters share a zone: a=z1, b=z1, c=z2, d=z3. Service web runs in a and in c, with
// PreferSameZone; mcsync replicates it into b and d, which have no instance of their own. A client
// in b (z1) must reach only a's pod, the z1 endpoint, although it lives in another cluster; with
// a's pod gone, no endpoint is in z1 and it reaches c's; a client in d (z3, no endpoint there)
// reaches both. Clusters are started once per kube-proxy mode (nftables, then iptables).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { startDataPlane, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import type { ProxyMode } from '../../harness/src/dataplane/kube-proxy.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { ZONE_LABEL } from '../../harness/src/workload/node-topology.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { landedOn, sameClusters as same } from '../support/dataplane.ts';
import { apis, getService, slicesOf, REPLICA_SLICES } from '../support/kube.ts';

const skip = dataPlaneUnsupported();
const NS = 'shop';
const WEB = `web.${NS}.svc.cluster.local`;
const ZONES = { a: 'z1', b: 'z1', c: 'z2', d: 'z3' };

for (const proxyMode of ['nftables', 'iptables'] as ProxyMode[]) {
  describe(`PreferSameZone across clusters with kube-proxy in ${proxyMode} mode`, { skip }, () => {
    let dp: DataPlane;
    let ctl: RunningController;
    let inB: RealPod;
    let inD: RealPod;
    let webA: RealPod;

    before(async () => {
      dp = await startDataPlane({ names: ['a', 'b', 'c', 'd'], zones: ZONES, proxyMode });
      for (const c of ['a', 'c']) {
        await dp.namespace(c, NS);
        await apis(dp.cluster(c)).core.createNamespacedService({
          namespace: NS,
          body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, trafficDistribution: 'PreferSameZone', ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
        });
      }
      webA = await dp.runPod('a', { namespace: NS, name: 'web-a', labels: { app: 'web' }, ports: [8080] });
      await dp.runPod('c', { namespace: NS, name: 'web-c', labels: { app: 'web' }, ports: [8080] });
      inB = await dp.runPod('b', { namespace: 'client', name: 'client-b', ports: [9000] });
      inD = await dp.runPod('d', { namespace: 'client', name: 'client-d', ports: [9000] });
      const entry = (name: string, exports: boolean) => [
        `- name: ${name}`, `  kubeconfig: ${dp.cluster(name).kubeconfigPath}`, ...(exports ? ['  services:', `  - namespace: ${NS}`] : []),
      ];
      ctl = await startController(['--config', writeConfig([
        'instance: samezone', 'controller:', '  watchTimeout: 2s', 'clusters:',
        ...entry('a', true), ...entry('b', false), ...entry('c', true), ...entry('d', false), '',
      ].join('\n'))]);
      await ctl.ready();
    });

    after(async () => {
      await ctl?.stop();
      await dp?.down();
    });

    test('each cluster\'s Node carries the zone asked for', async () => {
      for (const [cluster, zone] of Object.entries(ZONES)) {
        const nodes = await apis(dp.cluster(cluster)).core.listNode();
        assert.deepEqual(nodes.items.map((n) => n.metadata?.labels?.[ZONE_LABEL]), [zone], cluster);
      }
    });

    test('b\'s replica asks for PreferSameZone, and a\'s and c\'s endpoints there are hinted for their own zones', async () => {
      const B = apis(dp.cluster('b'));
      const hints = await waitFor(async () => {
        const eps = (await slicesOf(B, NS, 'web', REPLICA_SLICES)).flatMap((s) => s.endpoints ?? []);
        return eps.length === 2 && eps.every((e) => e.conditions?.ready) ? eps.map((e) => `${e.zone}:${(e.hints?.forZones ?? []).map((z) => z.name).join('+')}`).sort() : undefined;
      }, { what: 'a\'s and c\'s endpoints in b\'s replica', timeoutMs: 60_000 });
      assert.deepEqual(hints, ['z1:z1', 'z2:z2']);
      assert.equal((await getService(B, NS, 'web'))?.spec?.trafficDistribution, 'PreferSameZone');
    });

    test('a client in a zone with no endpoint (d, z3) reaches every cluster\'s pods', async () => {
      await waitFor(async () => same(await landedOn(dp, inD, WEB, 80, 16), ['a', 'c']), { what: 'connections from d to a and c', timeoutMs: 60_000 });
    });

    test('a client in b (z1) with a\'s z1 pod gone reaches c\'s: no endpoint is in its zone, so all are used', async () => {
      await dp.stopPod(webA);
      await waitFor(async () => same(await landedOn(dp, inB, WEB), ['c']), { what: 'every connection from b on c\'s pod', timeoutMs: 60_000 });
    });

    test('a client in b (z1) reaches only the z1 pod, which runs in another cluster (a), while c\'s pod stays ready', async () => {
      webA = await dp.runPod('a', { namespace: NS, name: 'web-a', labels: { app: 'web' }, ports: [8080] });
      await waitFor(async () => same(await landedOn(dp, inB, WEB), ['a']), { what: 'every connection from b on a\'s pod', timeoutMs: 60_000 });
      // c's endpoint is still ready in b (it took every connection above): 48 more land on a alone.
      const B = apis(dp.cluster('b'));
      const ready = (await slicesOf(B, NS, 'web', REPLICA_SLICES)).flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.zone).sort();
      assert.deepEqual(ready, ['z1', 'z2']);
      assert.deepEqual([...(await landedOn(dp, inB, WEB, 80, 48)) ?? []], ['a']);
    });
  });
}
