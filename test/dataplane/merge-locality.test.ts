// Locality tiers and trafficDistribution for a Service mcsync merges into (conflictPolicy: merge),
// on the real data path: what docs/topology.md states for that case. Nodes are zoned a=z1, b=z1,
// c=z2. Service web runs in a, b and c; a and c export it with conflictPolicy merge and the tiers
// [own cluster], so in b mcsync adds a's and c's endpoints to b's own web, whose local endpoint
// belongs to b's EndpointSlice controller. There tiers are inactive (/status says why), and only
// b's own trafficDistribution applies: with PreferSameZone a client in b reaches the z1 endpoints
// of any cluster — b's and a's, where tiers would have kept it on b — and not c's (z2); with a's
// pod gone, b's alone, c's staying ready; with the distribution removed from b's Service, every
// cluster's pod. a's Service asks for PreferSameZone and c's for nothing: the hints mcsync writes
// in b follow b's Service, not the sources'. Each step waits for its positive sign, then a larger
// sample must land only where it should. Clusters are started once per kube-proxy mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { startDataPlane, type DataPlane, type RealPod } from '../../harness/src/dataplane/dataplane.ts';
import type { ProxyMode } from '../../harness/src/dataplane/kube-proxy.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { MERGED_INACTIVE } from '../../src/model/locality/plan.ts';
import { landedOn, sameClusters } from '../support/dataplane.ts';
import { apis, getService, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const skip = dataPlaneUnsupported();
const NS = 'shop';
const WEB = `web.${NS}.svc.cluster.local`;
const ZONES = { a: 'z1', b: 'z1', c: 'z2' };
/** The local EndpointSlice controller's slices, as opposed to mcsync's. */
const LOCAL_SLICES = 'endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io';

interface LocalityRow { cluster: string; namespace: string; name: string; tier: number | 'all'; clusters: string[]; inactive?: string }

/** Ready endpoints of the slices as `<address> <zone>:<hinted zones>`, sorted. */
const hinted = (slices: V1EndpointSlice[]) => slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready)
  .map((e) => `${e.addresses[0]} ${e.zone}:${(e.hints?.forZones ?? []).map((z) => z.name).join('+')}`).sort();

for (const proxyMode of ['nftables', 'iptables'] as ProxyMode[]) {
  describe(`a Service merged with a local one, with kube-proxy in ${proxyMode} mode`, { skip }, () => {
    let dp: DataPlane;
    let B: Apis;
    let ctl: RunningController;
    let client: RealPod;
    let webA: RealPod;
    let webB: RealPod;
    let webC: RealPod;

    const rowInB = async () => (JSON.parse((await ctl.get('/status')).text) as { locality: LocalityRow[] }).locality
      .find((r) => r.cluster === 'b' && r.namespace === NS && r.name === 'web');
    /** Waits until b's local and mcsync slices hold exactly `local` and `remote` (see `hinted`). */
    const hintsInB = async (local: string[], remote: string[], what: string) => {
      let seen = '';
      await waitFor(async () => {
        seen = JSON.stringify({ local: hinted(await slicesOf(B, NS, 'web', LOCAL_SLICES)), mcsync: hinted(await slicesOf(B, NS, 'web', REPLICA_SLICES)) });
        return seen === JSON.stringify({ local: local.sort(), mcsync: remote.sort() });
      }, { what, timeoutMs: 60_000 }).catch((err: Error) => { throw new Error(`${err.message}; last seen ${seen}`); });
    };
    /** Waits for connections from b to land on exactly `want`, then requires 48 more to do so too. */
    const reachesExactly = async (want: string[], what: string) => {
      await waitFor(async () => sameClusters(await landedOn(dp, client, WEB), want), { what, timeoutMs: 60_000 });
      assert.deepEqual([...(await landedOn(dp, client, WEB, 80, 48)) ?? []].sort(), want, `48 more connections from b: ${what}`);
    };

    before(async () => {
      dp = await startDataPlane({ names: ['a', 'b', 'c'], zones: ZONES, proxyMode });
      B = apis(dp.cluster('b'));
      const distribution: Record<string, string | undefined> = { a: 'PreferSameZone', b: 'PreferSameZone', c: undefined };
      for (const [c, trafficDistribution] of Object.entries(distribution)) {
        await dp.namespace(c, NS);
        await apis(dp.cluster(c)).core.createNamespacedService({
          namespace: NS,
          body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ...(trafficDistribution ? { trafficDistribution } : {}), ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
        });
      }
      webA = await dp.runPod('a', { namespace: NS, name: 'web-a', labels: { app: 'web' }, ports: [8080] });
      webB = await dp.runPod('b', { namespace: NS, name: 'web-b', labels: { app: 'web' }, ports: [8080] });
      webC = await dp.runPod('c', { namespace: NS, name: 'web-c', labels: { app: 'web' }, ports: [8080] });
      client = await dp.runPod('b', { namespace: 'client', name: 'client-b', ports: [9000] });
      const exporting = (name: string) => [
        `- name: ${name}`, `  kubeconfig: ${dp.cluster(name).kubeconfigPath}`,
        '  services:', `  - namespace: ${NS}`, '    conflictPolicy: merge',
        '    clusterSelectors:', '    - propertySelector:', '        matchProperties: {cluster.clusterset.k8s.io: "@SameAsImporter@"}',
      ];
      ctl = await startController(['--config', writeConfig([
        'instance: mergelocality', 'controller:', '  watchTimeout: 2s', 'clusters:',
        ...exporting('a'), '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`, ...exporting('c'), '',
      ].join('\n'))]);
      await ctl.ready();
    });

    after(async () => {
      await ctl?.stop();
      await dp?.down();
    });

    test('/status shows b\'s web with tiers inactive, merged with a local Service, every source cluster used', async () => {
      const row = await waitFor(async () => {
        const r = await rowInB();
        return r?.clusters.length === 2 ? r : undefined;
      }, { what: 'a locality row for b shop/web with both sources' });
      assert.deepEqual({ tier: row.tier, clusters: row.clusters, inactive: row.inactive }, { tier: 'all', clusters: ['a', 'c'], inactive: MERGED_INACTIVE });
      // Still b's own Service: mcsync only added slices to it.
      assert.equal((await getService(B, NS, 'web'))?.spec?.selector?.app, 'web');
    });

    test('with PreferSameZone on b\'s Service: every endpoint is hinted for its own zone, c\'s too though c\'s Service asks for nothing', async () => {
      await hintsInB([`${webB.ip} z1:z1`], [`${webA.ip} z1:z1`, `${webC.ip} z2:z2`], 'b\'s endpoint hinted by b\'s controller, a\'s and c\'s by mcsync');
    });

    test('a client in b (z1) reaches the z1 pods of b and of a: same zone of any cluster, not the tier [own cluster]; never c\'s in z2', async () => {
      await reachesExactly(['a', 'b'], 'connections from b on b\'s and a\'s pods');
    });

    test('with a\'s pod gone, the only other endpoint is in z2: the client reaches b\'s own pod alone while c\'s stays ready', async () => {
      await dp.stopPod(webA);
      await hintsInB([`${webB.ip} z1:z1`], [`${webC.ip} z2:z2`], 'a\'s endpoint gone from b, c\'s still ready');
      await reachesExactly(['b'], 'every connection from b on b\'s pod');
    });

    test('without a distribution on b\'s Service (though a\'s still asks for PreferSameZone): no hints, and the client reaches every cluster', async () => {
      const own = (await getService(B, NS, 'web')) as V1Service;
      delete own.spec!.trafficDistribution;
      await B.core.replaceNamespacedService({ namespace: NS, name: 'web', body: own });
      // mcsync watches only what it owns, so it reads b's Service when the key is next
      // reconciled: a's pod coming back (a new endpoint) is that occasion here.
      await waitFor(async () => JSON.stringify(hinted(await slicesOf(B, NS, 'web', LOCAL_SLICES))) === JSON.stringify([`${webB.ip} z1:`]),
        { what: 'b\'s controller dropping the hint of b\'s endpoint' });
      webA = await dp.runPod('a', { namespace: NS, name: 'web-a', labels: { app: 'web' }, ports: [8080] });
      await hintsInB([`${webB.ip} z1:`], [`${webA.ip} z1:`, `${webC.ip} z2:`], 'no hints on any endpoint in b');
      await reachesExactly(['a', 'b', 'c'], 'connections from b on every cluster\'s pod');
      assert.equal((await rowInB())?.inactive, MERGED_INACTIVE);
    });
  });
}
