import { test } from 'node:test';
import { cmp } from '../canonical.ts';
import assert from 'node:assert/strict';
import type { NetworkPolicyPeer } from '../../vocab/objects.ts';
import { indexRemote, matchingPods, podAddresses, podCounts } from './peers.ts';
import { ns, pod } from './fixtures.test-util.ts';

// Remote cluster: namespace shop (env=prod) and data (env=prod), lab (env=dev).
const remote = {
  cluster: 'b',
  namespaces: [ns('shop', { env: 'prod' }), ns('data', { env: 'prod' }), ns('lab', { env: 'dev' })],
  pods: [
    pod('shop', 'client', ['10.2.0.1'], { role: 'client' }),
    pod('shop', 'other', ['10.2.0.2'], { role: 'other' }),
    pod('data', 'client', ['10.2.0.3'], { role: 'client' }),
    pod('lab', 'client', ['10.2.0.4'], { role: 'client' }),
  ],
};
const names = (peers: NetworkPolicyPeer[], policyNs = 'shop') =>
  matchingPods(peers, policyNs, indexRemote(remote)).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(cmp);

test('podSelector alone: matching pods of the namespace of the same name as the policy\'s', () => {
  assert.deepEqual(names([{ podSelector: { matchLabels: { role: 'client' } } }]), ['shop/client']);
  assert.deepEqual(names([{ podSelector: { matchLabels: { role: 'client' } } }], 'data'), ['data/client']);
  assert.deepEqual(names([{ podSelector: {} }]), ['shop/client', 'shop/other']);
  assert.deepEqual(names([{ podSelector: {} }], 'nowhere'), []);
});

test('namespaceSelector alone: every pod of the matching namespaces, by their labels or their name label', () => {
  assert.deepEqual(names([{ namespaceSelector: { matchLabels: { env: 'prod' } } }]), ['data/client', 'shop/client', 'shop/other']);
  assert.deepEqual(names([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'lab' } } }]), ['lab/client']);
  assert.deepEqual(names([{ namespaceSelector: {} }]), ['data/client', 'lab/client', 'shop/client', 'shop/other']);
});

test('both: matching pods of matching namespaces', () => {
  assert.deepEqual(names([{ podSelector: { matchLabels: { role: 'client' } }, namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } }]), ['data/client', 'shop/client']);
  assert.deepEqual(names([{ podSelector: { matchLabels: { role: 'client' } }, namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] } }]), ['lab/client']);
});

test('ipBlock peers match no remote pod; several peers are a union, each pod once', () => {
  assert.deepEqual(names([{ ipBlock: { cidr: '10.2.0.0/16' } }]), []);
  assert.deepEqual(names([{ podSelector: { matchLabels: { role: 'client' } } }, { podSelector: {} }, { ipBlock: { cidr: '0.0.0.0/0' } }]), ['shop/client', 'shop/other']);
});

test('a pod counts with an address, not terminating, not finished, not on the host network; ready or not', () => {
  assert.equal(podCounts(pod('shop', 'p', ['10.0.0.1'])), true);
  assert.equal(podCounts(pod('shop', 'p', ['10.0.0.1'], {}, { phase: 'Pending' })), true);
  assert.equal(podCounts(pod('shop', 'p', [])), false);
  assert.equal(podCounts(pod('shop', 'p', ['10.0.0.1'], {}, { deleting: true })), false);
  assert.equal(podCounts(pod('shop', 'p', ['10.0.0.1'], {}, { phase: 'Succeeded' })), false);
  assert.equal(podCounts(pod('shop', 'p', ['10.0.0.1'], {}, { phase: 'Failed' })), false);
  assert.equal(podCounts(pod('shop', 'p', ['192.168.0.5'], {}, { hostNetwork: true })), false);
});

test('every address of a dual-stack pod, falling back to podIP', () => {
  assert.deepEqual(podAddresses(pod('shop', 'p', ['10.0.0.1', 'fd00::1'])), ['10.0.0.1', 'fd00::1']);
  assert.deepEqual(podAddresses({ metadata: { name: 'p' }, status: { podIP: 'fd00::7' } }), ['fd00::7']);
});
