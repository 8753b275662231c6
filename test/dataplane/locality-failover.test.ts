// Locality tiers on the real data path: the failover issue 24 asks to prove. Service web runs in
// a and in b and is exported from both (the MCS path), each ServiceExport annotated with the
// tiers [own cluster, then any]. In b every connection to web.shop.svc.clusterset.local lands on
// b's pod while a's endpoint is ready in the same derived Service (hinted for a zone no Node
// has); with b's pod deleted, kube-proxy falls back to a's; with b's pod back, traffic returns
// to b. Each step waits for its positive sign; no duration is asserted (bench:dataplane measures
// the failover window). Clusters are started once per kube-proxy mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { startDataPlane, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import type { ProxyMode } from '../../harness/src/dataplane/kube-proxy.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { landedOn, sameClusters as same } from '../support/dataplane.ts';
import { apis, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const skip = dataPlaneUnsupported();
const NS = 'shop';
const WEB = `web.${NS}.svc.clusterset.local`;
const TIERS = JSON.stringify([{ propertySelector: { matchExpressions: [{ key: 'cluster.clusterset.k8s.io', operator: 'In', values: ['@SameAsImporter@'] }] } }]);

interface LocalityRow { cluster: string; namespace: string; name: string; tier: number | 'all'; clusters: string[]; inactive?: string }

for (const proxyMode of ['nftables', 'iptables'] as ProxyMode[]) {
  describe(`locality failover with kube-proxy in ${proxyMode} mode`, { skip }, () => {
    let dp: DataPlane;
    let B: Apis;
    let ctl: RunningController;
    let client: RealPod;
    let webA: RealPod;
    let webB: RealPod;

    /** The tier b uses for shop/web, as /status shows it. */
    const tierInB = async () => (JSON.parse((await ctl.get('/status')).text) as { locality: LocalityRow[] }).locality
      .find((r) => r.cluster === 'b' && r.namespace === NS && r.name === 'web');
    /** The addresses of ready endpoints in b's derived slices, with the zones each is hinted for. */
    const derivedInB = async () => Object.fromEntries((await B.discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: REPLICA_SLICES })).items
      .flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => [e.addresses[0]!, (e.hints?.forZones ?? []).map((z) => z.name)]));

    before(async () => {
      dp = await startDataPlane({ names: ['a', 'b'], proxyMode, mcs: true, zones: { a: 'z1', b: 'z2' } });
      B = apis(dp.cluster('b'));
      for (const c of ['a', 'b']) {
        await dp.namespace(c, NS);
        await apis(dp.cluster(c)).core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
        await KubernetesObjectApi.makeApiClient(kubeConfigFor(dp.cluster(c))).create({
          apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { namespace: NS, name: 'web', annotations: { 'mcsync.io/cluster-selectors': TIERS } },
        } as KubernetesObject);
      }
      webA = await dp.runPod('a', { namespace: NS, name: 'web-a', labels: { app: 'web' }, ports: [8080] });
      webB = await dp.runPod('b', { namespace: NS, name: 'web-b', labels: { app: 'web' }, ports: [8080] });
      client = await dp.runPod('b', { namespace: 'client', name: 'client-0', ports: [9000] });
      ctl = await startController(['--config', writeConfig([
        'instance: failover', 'mcs: true', 'controller:', '  watchTimeout: 2s', 'clusters:',
        '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`,
        '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`, '',
      ].join('\n'))]);
      await ctl.ready();
    });

    after(async () => {
      await ctl?.stop();
      await dp?.down();
    });

    test('b uses its own tier: b\'s endpoint is hinted for b\'s zone, a\'s for none of b\'s, and every connection lands on b', async () => {
      const row = await waitFor(async () => {
        const r = await tierInB();
        return r?.tier === 0 ? r : undefined;
      }, { what: 'b on tier 0 for shop/web in /status' });
      assert.deepEqual({ clusters: row.clusters, inactive: row.inactive }, { clusters: ['b'], inactive: undefined });
      const hints = await waitFor(async () => {
        const h = await derivedInB();
        return Object.keys(h).length === 2 ? h : undefined;
      }, { what: 'a\'s and b\'s endpoints ready in b\'s derived slices' });
      assert.deepEqual(hints[webB.ip], ['z2']);
      assert.ok(hints[webA.ip]!.length > 0 && !hints[webA.ip]!.includes('z2'), `a's endpoint is hinted away from b's zone: ${JSON.stringify(hints[webA.ip])}`);
      await waitFor(async () => same(await landedOn(dp, client, WEB), ['b']), { what: 'every connection from b on b\'s pod', timeoutMs: 60_000 });
    });

    test('b\'s pod deleted: connections land on a\'s pod, and /status says b uses every cluster', async () => {
      await dp.stopPod(webB);
      await waitFor(async () => same(await landedOn(dp, client, WEB), ['a']), { what: 'every connection from b on a\'s pod', timeoutMs: 60_000 });
      await waitFor(async () => (await tierInB())?.tier === 'all', { what: 'b on tier all in /status' });
    });

    test('b\'s pod back: traffic returns to b while a\'s endpoint stays ready beside it', async () => {
      webB = await dp.runPod('b', { namespace: NS, name: 'web-b', labels: { app: 'web' }, ports: [8080] });
      await waitFor(async () => same(await landedOn(dp, client, WEB), ['b']), { what: 'every connection from b on b\'s pod again', timeoutMs: 60_000 });
      // a's endpoint took every connection a moment ago and is still ready here: 48 more land on b alone.
      assert.deepEqual(Object.keys(await derivedInB()).sort(), [webA.ip, webB.ip].sort());
      assert.deepEqual([...(await landedOn(dp, client, WEB, 80, 48)) ?? []], ['b']);
      assert.equal((await tierInB())?.tier, 0);
    });
  });
}
