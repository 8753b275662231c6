// A kubeconfig's token replaced while `mcsync run` runs, and the old one revoked: mcsync picks
// up the new credentials from the file without a restart and without dropping replicas.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { CoreV1Api } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/pods.ts';
import { startController } from '../../harness/src/mcsync-controller.ts';
import { writeConfig } from '../../harness/src/mcsync-cli.ts';
import { yamlString } from '../../harness/src/yaml-text.ts';
import { addressMap, apis, replicasAre, restrictedKubeconfig, serviceWithPod, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const READS = [
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
];

let set: ClusterSet;
let B: Apis;
let podsA: Pods;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  B = apis(set.get('b'));
  podsA = new Pods(set.get('a'));
});

after(() => set?.down());

test('a rotated token is picked up from the kubeconfig file; the old one revoked changes nothing for the replicas', async () => {
  const ns = 'rot';
  const ip0 = await serviceWithPod(podsA, ns, 'r');
  const aKubeconfig = await restrictedKubeconfig(set.get('a'), 'rot-1', READS, writeConfig('', 'a-rotating.kubeconfig'));
  const cfg = writeConfig([
    'instance: rot', 'controller:', '  watchTimeout: 2s', '  resyncInterval: 20s', 'clusters:',
    `- name: a`, `  kubeconfig: ${yamlString(aKubeconfig)}`, '  services:', `  - namespace: ${ns}`, '    exportTo: [b]',
    `- name: b`, `  kubeconfig: ${yamlString(set.get('b').kubeconfigPath)}`,
  ].join('\n') + '\n');
  const ctl = await startController(['--config', cfg]);
  try {
    await ctl.ready();
    await replicasAre(B, ns, 'r', { [ip0]: true }, 'r in b');

    // A new identity's token replaces the file in one rename; then the old identity goes.
    const next = await restrictedKubeconfig(set.get('a'), 'rot-2', READS, writeConfig('', 'a-next.kubeconfig'));
    renameSync(next, aKubeconfig);
    await kubeConfigFor(set.get('a')).makeApiClient(CoreV1Api).deleteNamespacedServiceAccount({ namespace: 'kube-system', name: 'rot-1' });
    // Past several 2 s watch timeouts: every watch opened with the old token has ended.
    await new Promise((r) => setTimeout(r, 6000));
    assert.deepEqual(addressMap(await slicesOf(B, ns, 'r', REPLICA_SLICES)), { [ip0]: true }, 'no replica dropped');

    const ip1 = (await podsA.create({ namespace: ns, name: 'r-1', labels: { app: 'r' } })).status!.podIP!;
    await replicasAre(B, ns, 'r', { [ip0]: true, [ip1]: true }, 'a change after the rotation reaches b');
    assert.ok((await ctl.status()).clusters.every((c) => c.connected), 'every cluster connected with the new token');
  } finally {
    assert.equal(await ctl.stop(), 0);
  }
});
