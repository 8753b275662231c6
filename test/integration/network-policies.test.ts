// Companion NetworkPolicies through `mcsync sync / plan / status` on three real apiservers: a
// user's policy in a, annotated mcsync.io/remote-clusters, gets companions whose ipBlocks are
// exactly the matching pods of b (and c), kept current as pods move and go, deleted when the
// annotation goes; bad input gets an Event and a status line and no write; an unreachable
// remote makes plan and sync refuse, as for replicas.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, NetworkingV1Api, type V1NetworkPolicy } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { writeCount } from '../../harness/src/observe/metrics.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { cmp } from '../../src/model/canonical.ts';
import { companionName } from '../../src/model/policy/names.ts';
import { ok } from '../support/mcsync.ts';

const NS = 'shop';
const REMOTE_CLUSTERS = 'mcsync.io/remote-clusters';

let set: ClusterSet;
let netA: NetworkingV1Api;
let coreA: CoreV1Api;
let pods: Record<string, Pods>;
let cfg: string;

/** An address of a cluster's pod CIDR that the Pods helper never hands out on its own (it counts up from x.x.0.10). */
const ip = (cluster: string, n: number) => set.get(cluster).podCidr.replace(/\.0\.0\/16$/, `.7.${n}`);

async function policy(name: string, remotes: string | undefined, spec: V1NetworkPolicy['spec']): Promise<V1NetworkPolicy> {
  return netA.createNamespacedNetworkPolicy({ namespace: NS, body: { metadata: { name, ...(remotes ? { annotations: { [REMOTE_CLUSTERS]: remotes } } : {}) }, spec } });
}

async function companion(name: string): Promise<V1NetworkPolicy | undefined> {
  return netA.readNamespacedNetworkPolicy({ namespace: NS, name }).catch((e: { code?: number }) => {
    if (e.code === 404) return undefined;
    throw e;
  });
}

/** The CIDRs of each rule of a companion: [ingress rules, egress rules]. */
function cidrs(np: V1NetworkPolicy | undefined): [string[][], string[][]] {
  const of = (peers: { ipBlock?: { cidr: string } }[] | undefined) => (peers ?? []).map((p) => p.ipBlock!.cidr);
  return [(np?.spec?.ingress ?? []).map((r) => of(r._from)), (np?.spec?.egress ?? []).map((r) => of(r.to))];
}

/** client-node's model classes as plain data, to compare with literals. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const policyWrites = () => writeCount(set.get('a'), ['networkpolicies']);
const sync = async () => ok(await runMcsync(['sync', '--config', cfg]));

before(async () => {
  set = await startClusterSet({ names: ['a', 'b', 'c'] });
  const kc = kubeConfigFor(set.get('a'));
  netA = kc.makeApiClient(NetworkingV1Api);
  coreA = kc.makeApiClient(CoreV1Api);
  pods = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, new Pods(set.get(n))]));
  for (const p of Object.values(pods)) await p.ensureNamespace(NS);
  await pods.b!.core.createNamespace({ body: { metadata: { name: 'ops', labels: { team: 'ops' } } } });
  // Addresses two apart: no two of them make an aligned block, so each is its own /32.
  await pods.b!.create({ namespace: NS, name: 'client', labels: { role: 'client' }, ip: ip('b', 40) });
  await pods.b!.create({ namespace: NS, name: 'other', labels: { role: 'other' }, ip: ip('b', 42) });
  await pods.b!.create({ namespace: 'ops', name: 'prom', labels: { app: 'prom' }, ip: ip('b', 44) });
  await pods.c!.create({ namespace: NS, name: 'client', labels: { role: 'client' }, ip: ip('c', 40) });
  await pods.a!.create({ namespace: NS, name: 'client', labels: { role: 'client' }, ip: ip('a', 40) });
  const cluster = (n: string) => [`- name: ${n}`, `  kubeconfig: ${set.get(n).kubeconfigPath}`];
  cfg = writeConfig(['instance: np', 'networkPolicies: true', 'clusters:', ...cluster('a'), ...cluster('b'), ...cluster('c')].join('\n') + '\n');
});

after(() => set?.down());

describe('companions of spanned policies', () => {
  const web = companionName('web', 'b', 1);
  const apiB = companionName('api', 'b', 1);
  const apiC = companionName('api', 'c', 1);
  let webRv = '';

  test('podSelector peers: the companion admits b\'s matching pod only, on the rule\'s ports; the user\'s policy is untouched', async () => {
    const user = await policy('web', 'b', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ ports: [{ port: 80 }], _from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
    });
    webRv = user.metadata!.resourceVersion!;
    await sync();
    const c = await companion(web);
    assert.ok(c, 'companion written');
    assert.deepEqual(cidrs(c), [[[`${ip('b', 40)}/32`]], []], 'b\'s client only: not b\'s other pod, not a\'s or c\'s clients');
    assert.deepEqual(plain(c.spec!.podSelector), { matchLabels: { app: 'web' } });
    assert.deepEqual(c.spec!.policyTypes, ['Ingress']);
    assert.deepEqual(plain(c.spec!.ingress![0]!.ports), [{ port: 80, protocol: 'TCP' }]);
    assert.equal(c.metadata!.labels!['mcsync.io/managed-by'], 'mcsync');
    assert.equal(c.metadata!.labels!['multicluster.kubernetes.io/source-cluster'], 'b');
    assert.equal(c.metadata!.annotations!['mcsync.io/companion-of'], `${NS}/web`);
    assert.equal((await netA.readNamespacedNetworkPolicy({ namespace: NS, name: 'web' })).metadata!.resourceVersion, webRv, 'the user\'s policy is never written');
  });

  test('namespaceSelector peers, "*" and egress: one companion per remote with remote peers', async () => {
    await policy('api', '*', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [{ _from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] }],
      egress: [{ ports: [{ port: 5432 }], to: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
    });
    await sync();
    assert.deepEqual(cidrs(await companion(apiB)), [[[`${ip('b', 44)}/32`]], [[`${ip('b', 40)}/32`]]], 'b: ops\'s pod in, the client out');
    assert.deepEqual(cidrs(await companion(apiC)), [[], [[`${ip('c', 40)}/32`]]], 'c has no ops namespace: only the egress rule');
    assert.deepEqual((await companion(apiC))!.spec!.policyTypes, ['Ingress', 'Egress']);
  });

  test('a second sync writes nothing, and plan has nothing to do', async () => {
    const before = await policyWrites();
    await sync();
    assert.equal(await policyWrites(), before);
    const plan = JSON.parse(ok(await runMcsync(['plan', '--config', cfg, '-o', 'json'])).stdout) as { actions: unknown[] };
    assert.deepEqual(plan.actions, []);
  });

  test('a remote pod moving to another address is one update; a deleted pod leaves at once', async () => {
    const before = await policyWrites();
    await pods.b!.changeIp('ops', 'prom', ip('b', 46));
    await sync();
    assert.equal(await policyWrites(), before + 1, 'exactly the companion holding prom is rewritten');
    assert.deepEqual(cidrs(await companion(apiB))[0], [[`${ip('b', 46)}/32`]]);
    await pods.b!.delete('ops', 'prom');
    await sync();
    assert.deepEqual(cidrs(await companion(apiB)), [[], [[`${ip('b', 40)}/32`]]], 'the ingress rule has no remote peer left and goes');
  });

  test('annotation removed: its companions are deleted, the others stay', async () => {
    const user = await netA.readNamespacedNetworkPolicy({ namespace: NS, name: 'web' });
    delete user.metadata!.annotations![REMOTE_CLUSTERS];
    await netA.replaceNamespacedNetworkPolicy({ namespace: NS, name: 'web', body: user });
    await sync();
    assert.equal(await companion(web), undefined);
    assert.ok(await companion(apiB));
  });

  test('an unknown cluster in the annotation: an Event on the policy, a status line, nothing written, one Event however often', async () => {
    const before = await policyWrites();
    await policy('bad', 'b,eks9', { podSelector: {}, ingress: [{ _from: [{ podSelector: {} }] }] });
    const created = await policyWrites();
    const out = await sync();
    assert.match(out.stdout, /invalid policy: a: shop\/bad: .*"eks9"/);
    assert.equal(await policyWrites(), created, 'nothing written for it');
    assert.equal(created, before + 1, 'the only write was the test creating the policy');
    const events = async () => (await coreA.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=bad' })).items;
    const [event, ...more] = await events();
    assert.equal(more.length, 0);
    assert.equal(event?.reason, 'McsyncInvalid');
    assert.equal(event?.type, 'Warning');
    assert.equal(event?.involvedObject.kind, 'NetworkPolicy');
    assert.match(event?.message ?? '', /eks9/);
    await sync();
    assert.equal((await events()).length, 1, 'the same problem again is not a second Event');
    const status = JSON.parse((await runMcsync(['status', '--config', cfg, '-o', 'json'])).stdout) as { policies: { name: string; state: string; detail: string; remotes: string[]; peers: number; companions: string[] }[] };
    const rows = Object.fromEntries(status.policies.map((p) => [p.name, p]));
    assert.equal(rows.bad?.state, 'invalid');
    assert.match(rows.bad?.detail ?? '', /eks9/);
    assert.deepEqual([rows.api?.state, rows.api?.remotes, rows.api?.peers, rows.api?.companions], ['in-sync', ['b', 'c'], 2, [apiB, apiC].sort(cmp)]);
    assert.equal(rows.web, undefined, 'no longer spanned');
  });

  test('an unreachable remote: plan and sync refuse as for replicas; status shows its companions kept', async () => {
    const b = set.running.find((c) => c.name === 'b')!;
    await b.stopApiserver();
    try {
      const before = await policyWrites();
      for (const cmd of ['plan', 'sync']) {
        const r = await runMcsync([cmd, '--config', cfg]);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /cluster b cannot be reached/);
      }
      const r = await runMcsync(['status', '--config', cfg, '-o', 'json']);
      assert.equal(r.code, 1, r.stderr);
      const api = (JSON.parse(r.stdout) as { policies: { name: string; state: string; detail: string; unavailable?: string[]; companions: string[] }[] }).policies.find((p) => p.name === 'api');
      assert.equal(api?.state, 'stale');
      assert.deepEqual(api?.unavailable, ['b']);
      assert.deepEqual(api?.companions, [apiB, apiC].sort(cmp));
      assert.equal(await policyWrites(), before);
      assert.ok(await companion(apiB), 'b\'s companion is kept as last written');
    } finally {
      await b.startApiserver();
    }
  });
});
