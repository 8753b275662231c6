// `mcsync run` bounds a source whose config names no podCIDRs by what its Nodes declare, on the
// replica path and on the MCS path alike, and follows the Nodes while it runs: a Node added
// with a new range lets the addresses it covers through without a restart, and removing it
// withdraws them. A credential that may not read Nodes keeps the controller working, range
// check off, without making the cluster unhealthy. Nodes are written straight to the API (the
// harness has no kubelets); the slices are written by hand, as a hostile source would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { addressMap, apis, replicasAre, restrictedKubeconfig, type Apis } from '../support/kube.ts';

const GV = 'multicluster.x-k8s.io/v1beta1';
const REPLICA_NS = 'ranges';
const MCS_NS = 'ranges-mcs';
/** Inside the first Node's range, and inside only the second one's. */
const INSIDE = '10.100.0.5';
const OUTSIDE = '10.77.0.5';
const MCS_INSIDE = '10.100.0.6';
const MCS_OUTSIDE = '10.77.1.6';

let set: ClusterSet;
let A: Apis, B: Apis;

async function node(name: string, podCIDR: string): Promise<void> {
  await A.core.createNode({ body: { metadata: { name }, spec: { podCIDR, podCIDRs: [podCIDR] } } });
}

/** A selectorless Service in a with one hand-written slice: the built-in controller leaves both alone. */
async function forged(namespace: string, name: string, addresses: string[]): Promise<void> {
  await A.core.createNamespace({ body: { metadata: { name: namespace } } });
  await B.core.createNamespace({ body: { metadata: { name: namespace } } });
  await A.core.createNamespacedService({ namespace, body: { metadata: { name }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } } });
  await A.discovery.createNamespacedEndpointSlice({ namespace, body: {
    metadata: { name: `${name}-hand`, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'hand.example.com' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  } });
}

/** The addresses of the MCS slices of ns/name in b, once they are `want`. */
async function importedAre(namespace: string, name: string, want: string[], what: string): Promise<void> {
  const text = (xs: string[]) => JSON.stringify([...xs].sort());
  await waitFor(async () => {
    const slices = (await B.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `multicluster.kubernetes.io/service-name=${name},multicluster.kubernetes.io/source-cluster` })).items;
    return text(Object.keys(addressMap(slices))) === text(want);
  }, { what, timeoutMs: 30_000 });
}

/** mcsync_rejected_endpoints{cluster, reason} as the controller exposes it now. */
async function rejected(ctl: RunningController, cluster: string, reason: string): Promise<number | undefined> {
  const line = (await ctl.get('/metrics')).text.split('\n')
    .find((l) => l.startsWith('mcsync_rejected_endpoints{') && l.includes(`cluster="${cluster}"`) && l.includes(`reason="${reason}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

const clusters = (kubeconfigA: string, exportNs: string) => [
  'clusters:',
  '- name: a', `  kubeconfig: ${kubeconfigA}`, '  services:', `  - namespace: ${exportNs}`,
  '- name: b', `  kubeconfig: ${set.get('b').kubeconfigPath}`,
];

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'], mcsCrds: true });
  [A, B] = ['a', 'b'].map((n) => apis(set.get(n))) as [Apis, Apis];
  await node('ranges-1', '10.100.0.0/24');
});

after(() => set?.down());

describe('no podCIDRs in the config: the Nodes bound what run replicates and imports', () => {
  let ctl: RunningController;

  before(async () => {
    await forged(REPLICA_NS, 'web', [INSIDE, OUTSIDE]);
    await forged(MCS_NS, 'hello', [MCS_INSIDE, MCS_OUTSIDE]);
    await KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get('a')))
      .create({ apiVersion: GV, kind: 'ServiceExport', metadata: { name: 'hello', namespace: MCS_NS } } as KubernetesObject);
    ctl = await startController(['--config', writeConfig([
      'instance: ranges', 'mcs: true', 'controller:', '  watchTimeout: 2s',
      ...clusters(set.get('a').kubeconfigPath, REPLICA_NS),
    ].join('\n') + '\n'), '--status-page']);
    await ctl.ready();
  });

  after(() => ctl?.stop('SIGKILL'));

  test('an address outside every Node\'s range is neither replicated nor imported; one inside is', async () => {
    await replicasAre(B, REPLICA_NS, 'web', { [INSIDE]: true }, 'the replica with the inside address only');
    await importedAre(MCS_NS, 'hello', [MCS_INSIDE], 'the import with the inside address only');
    assert.equal(await rejected(ctl, 'a', 'outside-pod-cidrs'), 2, 'one rejection on each path, in the one gauge');
    // Named, not only counted: /status and the status page's data list each refused address with its source and Service.
    type Refused = { cluster: string; namespace: string; name: string; reason: string; what: string }[];
    const row = (r: Refused[number]) => [r.cluster, `${r.namespace}/${r.name}`, r.what, r.reason].join(' ');
    const want = [`a ${MCS_NS}/hello ${MCS_OUTSIDE} outside-pod-cidrs`, `a ${REPLICA_NS}/web ${OUTSIDE} outside-pod-cidrs`].sort();
    assert.deepEqual((JSON.parse((await ctl.get('/status')).text) as { rejected: Refused }).rejected.map(row).sort(), want);
    assert.deepEqual((JSON.parse((await ctl.get('/fleet')).text) as { rejected: Refused }).rejected.map(row).sort(), want);
  });

  test('a Node whose range covers them lets them through without a restart; removing it withdraws them', async () => {
    await node('ranges-2', '10.77.0.0/16');
    await replicasAre(B, REPLICA_NS, 'web', { [INSIDE]: true, [OUTSIDE]: true }, 'the replica with both addresses');
    await importedAre(MCS_NS, 'hello', [MCS_INSIDE, MCS_OUTSIDE], 'the import with both addresses');
    await waitFor(async () => (await rejected(ctl, 'a', 'outside-pod-cidrs')) === 0, { what: 'no rejections left', timeoutMs: 10_000 });

    await A.core.deleteNode({ name: 'ranges-2' });
    await replicasAre(B, REPLICA_NS, 'web', { [INSIDE]: true }, 'the replica without the address the removed Node covered');
    await importedAre(MCS_NS, 'hello', [MCS_INSIDE], 'the import without it');
  });
});

describe('a credential that may not read Nodes', () => {
  const ns = 'ranges-nodeless';
  let ctl: RunningController;

  before(async () => {
    await forged(ns, 'web', [INSIDE, OUTSIDE]);
    const kubeconfig = await restrictedKubeconfig(set.get('a'), 'mcsync-without-nodes', [
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
    ], writeConfig('', 'a-without-nodes.kubeconfig'));
    ctl = await startController(['--config', writeConfig([
      'instance: nodeless', 'controller:', '  watchTimeout: 2s',
      ...clusters(kubeconfig, ns),
    ].join('\n') + '\n')]);
    await ctl.ready();
  });

  after(() => ctl?.stop('SIGKILL'));

  test('still replicates (range check off, as sync), says once what grant is missing, and the cluster stays healthy', async () => {
    await replicasAre(B, ns, 'web', { [INSIDE]: true, [OUTSIDE]: true }, 'the replica, unchecked');
    const warned = ctl.logs.filter((l) => l.cluster === 'a' && l.missing === 'list, watch nodes');
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.equal(ctl.count('watch error', (l) => l.resource === 'nodes'), 0, 'a refusal is not a failing watch');
    const a = (await ctl.status()).clusters.find((c) => c.cluster === 'a')!;
    assert.deepEqual([a.connected, a.synced, a.stale], [true, true, false]);
    assert.equal((await ctl.get('/readyz')).status, 200);
  });
});
