// stalePolicy: last-resort on the real data path, in both kube-proxy modes. Service web runs in a
// and in b; b's own Service takes a's endpoints too (conflictPolicy: merge). a's apiserver stops
// (its pods keep running): after staleAfter its endpoints in b turn serving and terminating, and
// kube-proxy in b must then send every connection to b's own pod while that one is ready, to a's
// pod once b has none ready, and to both again once a's apiserver is back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { startDataPlane, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import type { ProxyMode } from '../../harness/src/dataplane/kube-proxy.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { landedOn, sameClusters as same } from '../support/dataplane.ts';
import { apis, getService, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const skip = dataPlaneUnsupported();
const NS = 'shop';
const WEB = `web.${NS}.svc.cluster.local`;

for (const proxyMode of ['nftables', 'iptables'] as ProxyMode[]) {
  describe(`last resort with kube-proxy in ${proxyMode} mode`, { skip }, () => {
    let dp: DataPlane;
    let B: Apis;
    let client: RealPod;
    let webB: RealPod;
    let ctl: RunningController;

    before(async () => {
      dp = await startDataPlane({ names: ['a', 'b'], proxyMode });
      B = apis(dp.cluster('b'));
      for (const c of ['a', 'b']) {
        await dp.namespace(c, NS);
        await apis(dp.cluster(c)).core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
      }
      await dp.runPod('a', { namespace: NS, name: 'web-a', labels: { app: 'web' }, ports: [8080] });
      webB = await dp.runPod('b', { namespace: NS, name: 'web-b', labels: { app: 'web' }, ports: [8080] });
      client = await dp.runPod('b', { namespace: 'client', name: 'client-0', labels: { app: 'client' }, ports: [9000] });
      ctl = await startController(['--config', writeConfig([
        'instance: lastresort',
        'controller:', '  watchTimeout: 2s',
        'clusters:',
        '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`, '  staleAfter: 3s', '  stalePolicy: last-resort',
        '  services:', `  - namespace: ${NS}`, '    conflictPolicy: merge',
        '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`,
        '',
      ].join('\n'))]);
      await ctl.ready();
    });

    after(async () => {
      await ctl?.stop();
      await dp?.down();
    });

    test('with a fresh, connections from b land on both clusters\' pods', async () => {
      assert.ok(await getService(B, NS, 'web'));
      await waitFor(async () => same(await landedOn(dp, client, WEB), ['a', 'b']), { what: 'connections to a and b', timeoutMs: 60_000 });
    });

    test('a stale under last-resort: its endpoint is serving and terminating, and b\'s ready pod takes every connection', async () => {
      await dp.cluster('a').stopApiserver();
      await waitFor(async () => (await ctl.status()).clusters.find((c) => c.cluster === 'a')?.stale === true, { what: 'a judged stale' });
      const conditions = await waitFor(async () => {
        const eps = (await slicesOf(B, NS, 'web', REPLICA_SLICES)).flatMap((s) => s.endpoints ?? []);
        return eps.length === 1 && eps[0]!.conditions?.terminating === true ? eps[0]!.conditions : undefined;
      }, { what: 'a\'s endpoint in b as a last resort' });
      assert.deepEqual({ ready: conditions.ready, serving: conditions.serving, terminating: conditions.terminating }, { ready: false, serving: true, terminating: true });
      await waitFor(async () => same(await landedOn(dp, client, WEB), ['b']), { what: 'every connection on b\'s own pod', timeoutMs: 30_000 });
    });

    test('with b\'s pod gone, the stale cluster serves: a last resort, not nothing', async () => {
      await dp.stopPod(webB);
      await waitFor(async () => same(await landedOn(dp, client, WEB), ['a']), { what: 'every connection on a\'s pod', timeoutMs: 30_000 });
    });

    test('a\'s apiserver back: its endpoint is ready again, and b\'s pod returning shares the traffic again', async () => {
      await dp.cluster('a').startApiserver();
      await waitFor(async () => {
        const eps = (await slicesOf(B, NS, 'web', REPLICA_SLICES)).flatMap((s) => s.endpoints ?? []);
        return eps.length === 1 && eps[0]!.conditions?.ready === true && eps[0]!.conditions?.terminating !== true;
      }, { what: 'a\'s endpoint ready again in b', timeoutMs: 60_000 });
      webB = await dp.runPod('b', { namespace: NS, name: 'web-b', labels: { app: 'web' }, ports: [8080] });
      await waitFor(async () => same(await landedOn(dp, client, WEB), ['a', 'b']), { what: 'connections to a and b again', timeoutMs: 60_000 });
    });
  });
}
