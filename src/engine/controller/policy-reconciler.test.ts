// The policy reconciler against in-memory stores and a scripted API client for the policy's
// cluster: what one reconcile of a policy key sends, and that it sends nothing more than that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../config/types.ts';
import { cluster, config } from '../../model/fixtures.test-util.ts';
import { REMOTE_CLUSTERS } from '../../vocab/labels.ts';
import { storeKey } from '../../vocab/keys.ts';
import type { NetworkPolicy, Pod } from '../../vocab/objects.ts';
import { ScriptedApi, apiError, stored } from '../../kube/scripted-api.test-util.ts';
import { policyKey } from './policy-keys.ts';
import { PolicyReconciler } from './policy-reconciler.ts';
import { policyTopology } from './policy-topology.ts';
import { InformerRegistry } from './informers.ts';
import { testWriters } from './writer.test-util.ts';
import { PendingPropagations } from './propagation.ts';
import type { ReconcileLog } from './reconciler.ts';
import type { PolicyProblem } from '../../model/policy/types.ts';

const NPS = '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies';
const KEY = policyKey('west', 'shop', 'allow-client');

interface Logged { msg: string; fields: unknown }

/** west holds the user's policy, spanning east; east holds the pods. */
function world(cfg: Config = config([cluster('east'), cluster('west')], { networkPolicies: true }), events: 'recorded' | 'posted' = 'recorded') {
  const registry = new InformerRegistry();
  const topo = policyTopology(cfg, cfg.clusters.map((c) => c.name), registry);
  registry.seal();
  const api = new ScriptedApi('west');
  const west = topo.policies.get('west')!;
  const stale = new Set<string>();
  const warnings: Logged[] = [];
  const log: ReconcileLog = { debug() {}, info() {}, error() {}, warn: (fields: unknown, msg?: string) => { warnings.push({ msg: msg ?? '', fields }); } };
  const posted: PolicyProblem[] = [];
  let clock = 0;
  const propagation = new PendingPropagations(() => clock);
  const observed: { labels: Record<string, string>; seconds: number }[] = [];
  const reconciler = new PolicyReconciler({
    config: cfg, clusters: new Map([['west', west]]), writers: testWriters([api]), remotes: topo.remotes, log, propagation,
    isStale: (c) => stale.has(c),
    ...(events === 'recorded' ? { reportProblem: async (_client: unknown, problems: readonly PolicyProblem[]) => { posted.push(...problems); return []; } } : {}),
    metrics: { policyPropagation: { observe: (labels, seconds) => observed.push({ labels, seconds }) } },
  });
  const east = topo.remotes.get('east')!;
  east.namespaces.set('shop', { metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } } });
  const putPod = (p: Pod) => east.pods.set(storeKey(p), p);
  const putPolicy = (np: NetworkPolicy) => west.policies.set(storeKey(np), np);
  return { reconciler, api, west, stale, putPod, putPolicy, warnings, posted, propagation, observed, tick: (ms: number) => (clock += ms) };
}

function userPolicy(annotation = 'east'): NetworkPolicy {
  return {
    metadata: { namespace: 'shop', name: 'allow-client', resourceVersion: '5', annotations: { [REMOTE_CLUSTERS]: annotation } },
    spec: { podSelector: { matchLabels: { role: 'frontend' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 80 }] }] },
  };
}

function pod(name: string, labels: Record<string, string>, ip?: string, rv = '1'): Pod {
  return { metadata: { namespace: 'shop', name, labels, resourceVersion: rv }, status: { phase: ip ? 'Running' : 'Pending', ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}) } };
}

const cidrs = (np: NetworkPolicy) => (np.spec.ingress ?? []).flatMap((r) => (r.from ?? []).map((p) => p.ipBlock?.cidr));
const sent = (api: ScriptedApi) => api.requests.map((r) => `${r.method} ${r.path}`);

/** A spanned policy with one client pod in east, reconciled once: its companion created. */
async function converged(w: ReturnType<typeof world>): Promise<NetworkPolicy> {
  w.putPolicy(userPolicy());
  w.putPod(pod('client-0', { role: 'client' }, '10.1.0.5'));
  w.api.on('POST', NPS, stored('100'));
  await w.reconciler.reconcile(KEY);
  const companions = w.west.policies.indexed('shop/allow-client');
  assert.equal(companions.length, 1, 'one companion, taken into the store');
  return companions[0]!;
}

test('a pod in the remote gets an IP: exactly one companion write, with its /32, and a second reconcile writes nothing', async () => {
  const w = world();
  w.putPolicy(userPolicy());
  w.putPod(pod('client-0', { role: 'client' }));
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api), [], 'no address yet: nothing to admit, nothing written');

  w.putPod(pod('client-0', { role: 'client' }, '10.1.0.5', '2'));
  w.api.on('POST', NPS, stored('100'));
  w.propagation.observed('east', [KEY]);
  w.tick(40);
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api), [`POST ${NPS}`]);
  const body = w.api.requests[0]!.body as NetworkPolicy;
  assert.deepEqual(cidrs(body), ['10.1.0.5/32']);
  assert.deepEqual(body.spec.ingress?.[0]?.ports, [{ protocol: 'TCP', port: 80 }]);
  assert.deepEqual(w.observed, [{ labels: { source: 'east', destination: 'west' }, seconds: 0.04 }], 'timed from the remote change to the write');

  await w.reconciler.reconcile(KEY);
  assert.equal(w.api.requests.length, 1, 'the store holds our own write: nothing more to do');
  assert.deepEqual(w.reconciler.spanned().map((s) => [s.name, s.remotes, s.peers]), [['allow-client', ['east'], 1]]);
});

test('a pod of another label changes: no write', async () => {
  const w = world();
  await converged(w);
  w.putPod(pod('backend-0', { role: 'backend' }, '10.1.0.9'));
  w.putPod(pod('backend-0', { role: 'backend' }, '10.1.0.10', '2'));
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api), [`POST ${NPS}`]);
});

test('the client pod moves to another address: one update of the companion', async () => {
  const w = world();
  const companion = await converged(w);
  w.putPod(pod('client-0', { role: 'client' }, '10.1.0.6', '3'));
  w.api.on('PUT', `${NPS}/${companion.metadata.name}`, stored('101'));
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api).slice(1), [`PUT ${NPS}/${companion.metadata.name}`]);
  assert.deepEqual(cidrs(w.api.requests[1]!.body as NetworkPolicy), ['10.1.0.6/32']);
});

test('a stale remote under keep writes nothing, even when its cached pods say otherwise', async () => {
  const w = world();
  await converged(w);
  w.stale.add('east');
  w.putPod(pod('client-0', { role: 'client' }, '10.1.0.6', '3'));
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api), [`POST ${NPS}`]);
});

test('the same stale remote under withdraw deletes its companion (so the test above is not vacuous)', async () => {
  const w = world(config([cluster('east', [], { stalePolicy: 'withdraw' }), cluster('west')], { networkPolicies: true }));
  const companion = await converged(w);
  w.api.on('DELETE', `${NPS}/${companion.metadata.name}`, { value: {} });
  w.stale.add('east');
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api), [`POST ${NPS}`, `DELETE ${NPS}/${companion.metadata.name}`]);
  assert.deepEqual(w.west.policies.indexed('shop/allow-client'), [], 'own deletes leave the store too');
});

test('the annotation removed: the companion is deleted', async () => {
  const w = world();
  const companion = await converged(w);
  const plain = userPolicy();
  plain.metadata.annotations = {};
  w.putPolicy(plain);
  w.api.on('DELETE', `${NPS}/${companion.metadata.name}`, { value: {} });
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api).slice(1), [`DELETE ${NPS}/${companion.metadata.name}`]);
  assert.deepEqual(w.reconciler.spanned(), []);
});

test('bad input: nothing written, logged and posted once however often it is reconciled', async () => {
  const w = world();
  w.putPolicy(userPolicy('nowhere'));
  w.putPod(pod('client-0', { role: 'client' }, '10.1.0.5'));
  await w.reconciler.reconcile(KEY);
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api), []);
  assert.equal(w.warnings.filter((l) => l.msg === 'policy not spanned').length, 1);
  assert.equal(w.posted.length, 1);
  assert.match(w.posted[0]!.message, /nowhere/);
  assert.deepEqual(w.reconciler.problems().map((p) => p.name), ['allow-client']);
});

test('bad input posts a Warning Event on the user\'s policy, through the same events.ts as sync', async () => {
  const w = world(undefined, 'posted');
  w.putPolicy({ ...userPolicy('nowhere'), metadata: { ...userPolicy('nowhere').metadata, uid: 'u-1' } });
  w.api.on('POST', '/api/v1/namespaces/shop/events', stored('7'));
  await w.reconciler.reconcile(KEY);
  await w.reconciler.reconcile(KEY);
  assert.deepEqual(sent(w.api), ['POST /api/v1/namespaces/shop/events'], 'once, not once per reconcile');
  const event = w.api.requests[0]!.body as { reason: string; type: string; involvedObject: { kind: string; name: string; uid: string } };
  assert.deepEqual([event.reason, event.type, event.involvedObject.kind, event.involvedObject.name, event.involvedObject.uid], ['McsyncInvalid', 'Warning', 'NetworkPolicy', 'allow-client', 'u-1']);
});

test('a write that fails makes reconcile throw (the queue retries), and the pending change is kept for the retry', async () => {
  const w = world();
  w.putPolicy(userPolicy());
  w.putPod(pod('client-0', { role: 'client' }, '10.1.0.5'));
  w.api.on('POST', NPS, apiError(403, 'Forbidden'));
  w.propagation.observed('east', [KEY]);
  await assert.rejects(w.reconciler.reconcile(KEY), /reconcile policy:west\/shop\/allow-client: .*403/);
  assert.ok(w.propagation.take(KEY), 'still pending');
});
