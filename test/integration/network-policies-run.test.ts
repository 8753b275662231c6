// `mcsync run` with networkPolicies: true against two real apiservers: a NetworkPolicy in a,
// annotated to span b, gets a companion in a that lists b's matching pods as /32 ipBlocks, and
// keeps it current as b's pods come, change address and go — one companion write per change,
// by the apiserver's own count — and deletes it when the annotation goes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkingV1Api, type V1NetworkPolicy } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { waitFor, waitForSteady } from '../../harness/src/util/wait.ts';
import { writeCount } from '../../harness/src/observe/metrics.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';

const ns = 'stars';
const POLICY = 'allow-client';

let set: ClusterSet;
let netA: NetworkingV1Api;
let podsA: Pods, podsB: Pods;
let ctl: RunningController;

function configText(): string {
  const cluster = (name: string) => [`- name: ${name}`, `  kubeconfig: ${yamlString(set.get(name).kubeconfigPath)}`];
  return ['instance: np', 'networkPolicies: true', 'controller:', '  watchTimeout: 2s', '  resyncInterval: 20s', 'clusters:', ...cluster('a'), ...cluster('b')].join('\n') + '\n';
}

/** The user's policy: frontend pods admit client pods on 80/TCP, wherever they run. */
function userPolicy(annotations: Record<string, string>): V1NetworkPolicy {
  return {
    metadata: { name: POLICY, namespace: ns, annotations },
    spec: {
      podSelector: { matchLabels: { role: 'frontend' } },
      policyTypes: ['Ingress'],
      ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 80 }] }],
    },
  };
}

async function companions(): Promise<V1NetworkPolicy[]> {
  return (await netA.listNamespacedNetworkPolicy({ namespace: ns, labelSelector: `mcsync.io/companion-of=${POLICY}` })).items;
}

/** The addresses the companions admit, sorted. */
async function admitted(): Promise<string[]> {
  const cidrs = (await companions()).flatMap((c) => (c.spec?.ingress ?? []).flatMap((r) => (r._from ?? []).map((p) => p.ipBlock?.cidr ?? '?')));
  return cidrs.sort();
}

async function admittedAre(want: string[], what: string): Promise<void> {
  const cidrs = want.map((ip) => `${ip}/32`).sort();
  let last: string[] = [];
  await waitFor(async () => JSON.stringify((last = await admitted())) === JSON.stringify(cidrs), { what: `${what}: companion admits ${cidrs.join(', ') || 'nothing'} (has ${last.join(', ') || 'nothing'})`, timeoutMs: 20_000 });
}

const policyWrites = () => writeCount(set.get('a'), ['networkpolicies']);

/** Waits until a's NetworkPolicy writes stop moving, and returns their count. */
function quietWrites(): Promise<number> {
  return waitForSteady(policyWrites, { what: 'companion writes to settle' });
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  netA = kubeConfigFor(set.get('a')).makeApiClient(NetworkingV1Api);
  podsA = new Pods(set.get('a'));
  podsB = new Pods(set.get('b'));
  await podsA.ensureNamespace(ns);
  await podsB.ensureNamespace(ns);
  await podsA.create({ namespace: ns, name: 'frontend-0', labels: { role: 'frontend' } });
});

after(async () => {
  await ctl?.stop();
  await set?.down();
});

describe('companions follow the remote pods while mcsync run watches', () => {
  const ip: Record<string, string> = {};

  before(async () => {
    ip.c0 = (await podsB.create({ namespace: ns, name: 'client-0', labels: { role: 'client' } })).status!.podIP!;
    await podsB.create({ namespace: ns, name: 'backend-0', labels: { role: 'backend' } });
    await netA.createNamespacedNetworkPolicy({ namespace: ns, body: userPolicy({ 'mcsync.io/remote-clusters': 'b' }) });
    ctl = await startController(['--config', writeConfig(configText())]);
    await ctl.ready();
  });

  test('the spanned policy gets one companion in its namespace, admitting the matching remote pod on the same ports', async () => {
    await admittedAre([ip.c0!], 'at start');
    const [c, ...more] = await companions();
    assert.equal(more.length, 0);
    const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T; // client-node's model classes, as data
    assert.deepEqual(plain(c!.spec?.podSelector), { matchLabels: { role: 'frontend' } });
    assert.deepEqual(plain(c!.spec?.ingress?.[0]?.ports), [{ protocol: 'TCP', port: 80 }]);
    assert.equal(c!.metadata?.annotations?.['mcsync.io/companion-of'], `${ns}/${POLICY}`);
    const user = await netA.readNamespacedNetworkPolicy({ namespace: ns, name: POLICY });
    assert.equal(user.metadata?.generation, 1, "the user's policy is never modified");
  });

  test('a remote pod added, then deleted: exactly one companion write each, by the apiserver\'s count', async () => {
    const start = await quietWrites();
    ip.c1 = (await podsB.create({ namespace: ns, name: 'client-1', labels: { role: 'client' } })).status!.podIP!;
    await admittedAre([ip.c0!, ip.c1!], 'pod added');
    const added = await quietWrites();
    await podsB.delete(ns, 'client-1');
    await admittedAre([ip.c0!], 'pod deleted');
    const deleted = await quietWrites();
    assert.deepEqual([added - start, deleted - added], [1, 1]);
  });

  test('pods the policy does not select, and readiness flips, cost no write', async () => {
    const start = await quietWrites();
    await podsB.create({ namespace: ns, name: 'backend-1', labels: { role: 'backend' } });
    const flipped = await podsB.setReady(ns, 'client-0', false);
    // The controller's pods watch of b has seen both changes, and nothing is left to do: a stray write would have happened.
    await ctl.caughtUp([{ cluster: 'b', resource: 'pods', resourceVersion: flipped.metadata!.resourceVersion! }], 'the pod changes in b');
    assert.equal(await quietWrites(), start);
    assert.deepEqual(await admitted(), [`${ip.c0}/32`], 'a pod that is not ready still counts: policies select pods, not endpoints');
  });

  test('a remote pod rescheduled with a new address: the companion follows within a bounded wait', async () => {
    ip.c0b = (await podsB.changeIp(ns, 'client-0')).status!.podIP!;
    await admittedAre([ip.c0b!], 'pod moved');
    assert.notEqual(ip.c0b, ip.c0);
  });

  test('/metrics counts the companion and times the propagation from remote pod to companion', async (t) => {
    await waitFor(async () => /^mcsync_companions\{cluster="a"\} 1$/m.test((await ctl.get('/metrics')).text), { what: 'the companion counted' });
    const text = (await ctl.get('/metrics')).text;
    assert.match(text, /^mcsync_companions\{cluster="b"\} 0$/m);
    assert.match(text, /^mcsync_policy_propagation_seconds_count\{source="b",destination="a"\} [1-9]/m);
    assert.match(text, /^mcsync_policy_propagation_seconds_count\{source="a",destination="b"\} 0$/m, 'created at zero where nothing propagated');
    assert.match(text, /^mcsync_writes_total\{cluster="a",verb="update",kind="NetworkPolicy",result="done",capability="policies"\} [1-9]/m);
    const sum = Number(/^mcsync_policy_propagation_seconds_sum\{source="b",destination="a"\} (\S+)$/m.exec(text)?.[1]);
    const count = Number(/^mcsync_policy_propagation_seconds_count\{source="b",destination="a"\} (\S+)$/m.exec(text)?.[1]);
    const { policies } = JSON.parse((await ctl.get('/status')).text) as { policies: { spanned: { name: string; remotes: string[]; peers: number; companions: string[] }[] } };
    assert.deepEqual(policies.spanned.map((p) => [p.name, p.remotes, p.peers, p.companions.length]), [[POLICY, ['b'], 1, 1]], '/status lists the spanned policy');
    t.diagnostic(`policy propagation b → a: ${count} changes, mean ${(1000 * sum / count).toFixed(1)} ms`);
  });

  test('the annotation removed: the companion is deleted, the user policy stays', async () => {
    const user = await netA.readNamespacedNetworkPolicy({ namespace: ns, name: POLICY });
    user.metadata!.annotations = {};
    await netA.replaceNamespacedNetworkPolicy({ namespace: ns, name: POLICY, body: user });
    await waitFor(async () => (await companions()).length === 0, { what: 'the companion deleted' });
    assert.ok(await netA.readNamespacedNetworkPolicy({ namespace: ns, name: POLICY }));
    await waitFor(async () => /^mcsync_companions\{cluster="a"\} 0$/m.test((await ctl.get('/metrics')).text), { what: 'no companion counted' });
  });
});
