// What networkPolicies: true adds to the watches, and which policy keys each change touches:
// the index from remote clusters to the spanned policies naming them, fed by the NetworkPolicy
// watch's own events, and the filter that keeps pod status churn from costing a reconcile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../config/types.ts';
import { cluster, config, rule } from '../../model/fixtures.test-util.ts';
import { COMPANION_OF, REMOTE_CLUSTERS, ownershipLabels } from '../../vocab/labels.ts';
import type { Namespace, NetworkPolicy, Pod } from '../../vocab/objects.ts';
import type { Listed, StoreEvent } from '../../kube/store.ts';
import { InformerRegistry, type SharedInformer } from './informers.ts';
import { isPolicyKey, policyKey, splitPolicyKey, type PolicyKey } from './policy-keys.ts';
import { allPolicyKeys, policyTopology, type PolicyTopology } from './policy-topology.ts';
import { topology, type DestinationCaches } from './topology.ts';

const three = (over: Partial<Config> = {}) =>
  config([cluster('a', [rule({ namespace: 'shop', exportTo: ['b'] })]), cluster('b'), cluster('c')], { networkPolicies: true, ...over });

function np(namespace: string, name: string, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): NetworkPolicy {
  return { metadata: { namespace, name, annotations, labels, resourceVersion: '1' }, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] } };
}

function pod(namespace: string, name: string, ip: string | undefined, labels: Record<string, string> = { app: 'client' }, over: Partial<NonNullable<Pod['status']>> = {}): Pod {
  return { metadata: { namespace, name, labels, resourceVersion: '1' }, status: { phase: 'Running', ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}), ...over } };
}

/** The replica and policy capabilities' reads on one registry, as the manager declares them; the policy keys each event fires. */
interface World extends PolicyTopology {
  informers: SharedInformer[];
  destinations: Map<string, DestinationCaches>;
  fired: PolicyKey[];
  /** The policy index, as the old topology called it. */
  policyIndex: PolicyTopology['index'];
}

function world(cfg: Config, localCluster?: string): World {
  const registry = new InformerRegistry();
  const replicas = topology(cfg, localCluster, registry, new Map());
  const fired: PolicyKey[] = [];
  const written = [...replicas.destinations.keys()];
  const empty: PolicyTopology = { policies: new Map(), remotes: new Map(), index: undefined as never };
  const p = cfg.networkPolicies ? policyTopology(cfg, written, registry, (keys) => fired.push(...keys)) : empty;
  return { ...p, policyIndex: p.index, informers: registry.seal(), destinations: replicas.destinations, fired };
}

function watchOf(t: World, cluster: string, resource: SharedInformer['resource']): SharedInformer {
  const w = t.informers.filter((x) => x.cluster === cluster && x.resource === resource && (resource !== 'services' && resource !== 'endpointslices'));
  assert.equal(w.length, 1, `${cluster} ${resource}: exactly one watch`);
  return w[0]!;
}

/** The world a watch belongs to, for feed(). */
const owner = new WeakMap<SharedInformer, World>();
function watches(t: World): World {
  for (const i of t.informers) owner.set(i, t);
  return t;
}

/** Feeds an event to a watch as the reflector would (store first, then the subscribers); returns the policy keys it fired. */
function feed<T extends Listed>(w: SharedInformer, e: StoreEvent<T>): string[] {
  const t = owner.get(w)!;
  const key = e.object.metadata.namespace ? `${e.object.metadata.namespace}/${e.object.metadata.name}` : e.object.metadata.name;
  if (e.type === 'deleted') w.store.delete(key);
  else w.store.set(key, e.object);
  t.fired.length = 0;
  w.dispatch(e as unknown as StoreEvent<Listed>);
  return [...new Set(t.fired)];
}

test('policy keys carry their cluster and never look like a Service key', () => {
  const k = policyKey('east', 'shop', 'allow-web');
  assert.equal(k, 'policy:east/shop/allow-web');
  assert.ok(isPolicyKey(k));
  assert.ok(!isPolicyKey('shop/allow-web'));
  assert.deepEqual(splitPolicyKey(k), { cluster: 'east', namespace: 'shop', name: 'allow-web' });
});

test('networkPolicies off: no NetworkPolicy or Pod watch anywhere', () => {
  const t = watches(world(three({ networkPolicies: false })));
  assert.deepEqual(t.informers.filter((w) => w.resource === 'networkpolicies' || w.resource === 'pods'), []);
});

test('networkPolicies on: NetworkPolicies and Pods once per cluster, and the Namespace watch the destination already has', () => {
  const t = watches(world(three()));
  for (const c of ['a', 'b', 'c']) {
    assert.equal(watchOf(t, c, 'networkpolicies').path, '/apis/networking.k8s.io/v1/networkpolicies');
    assert.equal(watchOf(t, c, 'networkpolicies').labelSelector, undefined, 'user policies and companions: one collection, one watch');
    assert.equal(watchOf(t, c, 'pods').path, '/api/v1/pods');
    const ns = watchOf(t, c, 'namespaces');
    assert.equal(t.remotes.get(c)?.namespaces.size, 0);
    ns.store.set('x', { metadata: { name: 'x' } });
    assert.ok(t.remotes.get(c)?.namespaces.has('x') && t.destinations.get(c)?.namespaces.has('x'), 'one store, shared by both capabilities');
  }
  const ids = t.informers.map((w) => `${w.cluster} ${w.path} ${w.labelSelector ?? ''}`);
  assert.equal(new Set(ids).size, ids.length, 'no collection is watched twice in a cluster');
});

test('pull mode: companions render only in the local cluster; the others are watched for pods and namespaces only', () => {
  const t = watches(world(three(), 'b'));
  assert.deepEqual([...t.policies.keys()], ['b']);
  assert.deepEqual(t.informers.filter((w) => w.resource === 'networkpolicies').map((w) => w.cluster), ['b']);
  assert.deepEqual([...t.remotes.keys()], ['a', 'c'], 'b names others; nobody else renders, so nobody names b');
  watchOf(t, 'a', 'namespaces');
  assert.ok(!t.destinations.has('a'), 'a is no destination in pull mode: its namespaces are watched for policies alone');
});

test('a spanned policy is its own key, and a pod change in a remote it names touches it', () => {
  const t = watches(world(three()));
  const key = policyKey('a', 'shop', 'allow');
  assert.deepEqual(feed(watchOf(t, 'a', 'networkpolicies'), { type: 'added', object: np('shop', 'allow', { [REMOTE_CLUSTERS]: 'b' }) }), [key]);

  assert.deepEqual(feed(watchOf(t, 'b', 'pods'), { type: 'added', object: pod('shop', 'client-0', '10.2.0.5') }), [key]);
  assert.deepEqual(feed(watchOf(t, 'c', 'pods'), { type: 'added', object: pod('shop', 'client-0', '10.3.0.5') }), [], 'c is not named');
  assert.deepEqual(feed(watchOf(t, 'a', 'pods'), { type: 'added', object: pod('shop', 'client-1', '10.1.0.5') }), [], "the policy's own cluster is no remote of it");
  assert.deepEqual(feed(watchOf(t, 'b', 'namespaces'), { type: 'added', object: { metadata: { name: 'shop', labels: { team: 'x' } } } as Namespace }), [key]);
});

test('"*" names every other cluster', () => {
  const t = watches(world(three()));
  const key = policyKey('b', 'shop', 'all');
  feed(watchOf(t, 'b', 'networkpolicies'), { type: 'added', object: np('shop', 'all', { [REMOTE_CLUSTERS]: '*' }) });
  for (const c of ['a', 'c']) assert.deepEqual(feed(watchOf(t, c, 'pods'), { type: 'added', object: pod('shop', 'p', '10.9.0.1') }), [key], c);
  assert.deepEqual(feed(watchOf(t, 'b', 'pods'), { type: 'added', object: pod('shop', 'p', '10.9.0.2') }), []);
});

test('only pod changes a companion could read touch a key: addresses, labels, phase, going away', () => {
  const t = watches(world(three()));
  const key = policyKey('a', 'shop', 'allow');
  feed(watchOf(t, 'a', 'networkpolicies'), { type: 'added', object: np('shop', 'allow', { [REMOTE_CLUSTERS]: 'b' }) });
  const pods = watchOf(t, 'b', 'pods');
  const pending = pod('shop', 'client-0', undefined, { app: 'client' }, { phase: 'Pending' });
  assert.deepEqual(feed(pods, { type: 'added', object: pending }), [], 'no address: nothing an ipBlock could hold');
  const running = pod('shop', 'client-0', '10.2.0.7');
  assert.deepEqual(feed(pods, { type: 'modified', old: pending, object: running }), [key], 'it gets an IP');
  const conditionsOnly = { ...running, metadata: { ...running.metadata, resourceVersion: '2' }, status: { ...running.status, conditions: [{ type: 'Ready', status: 'True' }] } } as Pod;
  assert.deepEqual(feed(pods, { type: 'modified', old: running, object: conditionsOnly }), [], 'readiness and other status churn: nothing');
  const relabelled = pod('shop', 'client-0', '10.2.0.7', { app: 'other' });
  assert.deepEqual(feed(pods, { type: 'modified', old: conditionsOnly, object: relabelled }), [key], 'labels decide which selectors match');
  const terminating = { ...relabelled, metadata: { ...relabelled.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } };
  assert.deepEqual(feed(pods, { type: 'modified', old: relabelled, object: terminating }), [key], 'terminating leaves at once');
  assert.deepEqual(feed(pods, { type: 'deleted', object: terminating }), [key]);
  const ns: Namespace = { metadata: { name: 'shop', labels: { team: 'x' } } };
  feed(watchOf(t, 'b', 'namespaces'), { type: 'added', object: ns });
  assert.deepEqual(feed(watchOf(t, 'b', 'namespaces'), { type: 'modified', old: ns, object: { metadata: { name: 'shop', resourceVersion: '9' } } }), [key], 'namespace labels changed (all dropped)');
  assert.deepEqual(feed(watchOf(t, 'b', 'namespaces'), { type: 'modified', old: ns, object: { metadata: { ...ns.metadata, resourceVersion: '10' } } }), [], 'a namespace change that keeps its labels: nothing');
});

test('a companion change touches the key of its user policy; the annotation removed touches it once, then remote pods no more', () => {
  const t = watches(world(three()));
  const key = policyKey('a', 'shop', 'allow');
  const nps = watchOf(t, 'a', 'networkpolicies');
  const spanned = np('shop', 'allow', { [REMOTE_CLUSTERS]: 'b' });
  feed(nps, { type: 'added', object: spanned });
  const companion = np('shop', 'allow-mcsync-1234abcd-1', { [COMPANION_OF]: 'shop/allow' }, ownershipLabels('default'));
  assert.deepEqual(feed(nps, { type: 'added', object: companion }), [key]);
  assert.deepEqual(allPolicyKeys(t.policyIndex, t.policies), [key]);
  const foreign = np('shop', 'theirs', { [COMPANION_OF]: 'shop/allow' }, ownershipLabels('other-instance'));
  assert.deepEqual(feed(nps, { type: 'added', object: foreign }), [], "another instance's companion is a plain, unannotated policy to this one");

  const plain = { ...spanned, metadata: { ...spanned.metadata, annotations: {}, resourceVersion: '2' } };
  assert.deepEqual(feed(nps, { type: 'modified', old: spanned, object: plain }), [key], 'its companions must go');
  assert.deepEqual(feed(watchOf(t, 'b', 'pods'), { type: 'added', object: pod('shop', 'client-9', '10.2.0.9') }), []);
  assert.deepEqual(feed(nps, { type: 'added', object: np('shop', 'unrelated') }), [], 'an unannotated policy is none of mcsync\'s business');
  assert.deepEqual(allPolicyKeys(t.policyIndex, t.policies), [key], 'the orphaned companion still leads a resync to its key');
});

test('a policy whose annotation names an unknown cluster is still its own key (to report it), but names no remote', () => {
  const t = watches(world(three()));
  const key = policyKey('a', 'shop', 'bad');
  assert.deepEqual(feed(watchOf(t, 'a', 'networkpolicies'), { type: 'added', object: np('shop', 'bad', { [REMOTE_CLUSTERS]: 'nowhere' }) }), [key]);
  for (const c of ['b', 'c']) assert.deepEqual(feed(watchOf(t, c, 'pods'), { type: 'added', object: pod('shop', 'p', '10.9.0.3') }), []);
  assert.deepEqual(allPolicyKeys(t.policyIndex, t.policies), [key]);
});
