// deploy/admission/owned-only.yaml on real apiservers: requests sent as mcsync's ServiceAccount
// that would create, change or delete a Service or EndpointSlice not labelled
// mcsync.io/managed-by=mcsync are refused by the apiserver itself, whatever the client does;
// owned objects and every other identity are unaffected, and mcsync works normally under it.
// Raw requests go through mcsync's own REST client, so they are the requests mcsync sends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { KubeApiError, KubeClient } from '../../src/kube/client.ts';
import { PATHS } from '../../src/kube/read.ts';
import type { EndpointSlice, NetworkPolicy, Service } from '../../src/vocab/objects.ts';
import { apis, canI, installedServiceAccount, getService, restrictedKubeconfig, serviceWithPod, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const MANIFESTS = [
  ...['serviceaccount.yaml', 'source-reader.yaml', 'destination-writer.yaml', 'network-policies/roles.yaml'].map((f) => join(ROOT, 'deploy/rbac', f)),
  join(ROOT, 'deploy/admission/owned-only.yaml'),
];
const NAMES = ['a', 'b'];
const OWNED = { 'mcsync.io/managed-by': 'mcsync', 'mcsync.io/instance': 'adm' };
const NS = 'adm';

let set: ClusterSet;
let A: Apis, B: Apis;
let podsA: Pods, podsB: Pods;
const saKubeconfig: Record<string, string> = {};
/** Cluster b as mcsync-system/mcsync, and as the harness's admin (system:masters). */
let mcsync: KubeClient;
let admin: KubeClient;

function service(name: string, labels?: Record<string, string>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS, labels }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } } as Service;
}

function slice(name: string, labels: Record<string, string> = {}): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': name, ...labels } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.100.9.9'], conditions: { ready: true } }],
  } as EndpointSlice;
}

function policy(name: string, labels?: Record<string, string>): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: { name, namespace: NS, labels },
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '10.101.0.7/32' } }] }] },
  } as NetworkPolicy;
}

/** The error a request fails with; fails the test if it succeeds. */
async function refusal(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  assert.fail('the request was allowed');
}

/** A denial by this policy, for `verb`: 403 Forbidden naming the policy and its message. */
function deniedBy(err: KubeApiError, verb: 'create' | 'update' | 'delete'): void {
  assert.equal(err.status, 403, err.message);
  assert.equal(err.reason, 'Forbidden', err.message);
  assert.match(err.message, /ValidatingAdmissionPolicy 'mcsync-owned-only' with binding 'mcsync-owned-only' denied request/);
  assert.match(err.message, new RegExp(`mcsync may only ${verb} objects labelled mcsync\\.io/managed-by=mcsync`));
}

before(async () => {
  set = await startClusterSet({ names: NAMES });
  [A, B] = NAMES.map((n) => apis(set.get(n))) as [Apis, Apis];
  podsA = new Pods(set.get('a'));
  podsB = new Pods(set.get('b'));
  for (const n of NAMES) {
    saKubeconfig[n] = await installedServiceAccount(set.get(n), MANIFESTS);
  }
  await podsB.ensureNamespace(NS);
  mcsync = KubeClient.fromFile('b', saKubeconfig.b!);
  admin = KubeClient.fromFile('b', set.get('b').kubeconfigPath);
  // RBAC and the policy both start applying a moment after they are written: wait until an
  // unlabelled create is refused by the policy (not by RBAC), undoing any that got through.
  await waitFor(async () => {
    try {
      await mcsync.request('POST', PATHS.services(NS), { body: service('probe') });
    } catch (err) {
      if (err instanceof KubeApiError && /mcsync-owned-only/.test(err.message)) return true;
      return undefined;
    }
    await admin.request('DELETE', PATHS.service(NS, 'probe'));
    return undefined;
  }, { what: 'the admission policy to enforce', timeoutMs: 120_000 });
});

after(async () => {
  mcsync?.close();
  admin?.close();
  await set?.down();
});

describe('as mcsync-system/mcsync', () => {
  test('creating a Service or EndpointSlice without the ownership label is refused', async () => {
    deniedBy(await refusal(mcsync.request('POST', PATHS.services(NS), { body: service('bare') })), 'create');
    deniedBy(await refusal(mcsync.request('POST', PATHS.services(NS), { body: service('other', { 'mcsync.io/managed-by': 'someone-else' }) })), 'create');
    deniedBy(await refusal(mcsync.request('POST', PATHS.slices(NS), { body: slice('bare') })), 'create');
    assert.equal(await getService(B, NS, 'bare'), undefined);
    assert.deepEqual(await slicesOf(B, NS, 'bare'), []);
  });

  test('a Service it does not own cannot be updated (not even to adopt it) or deleted', async () => {
    await admin.request('POST', PATHS.services(NS), { body: service('foreign', { team: 'local' }) });
    const live = await mcsync.request<Service>('GET', PATHS.service(NS, 'foreign'));
    const adopt = { ...live, metadata: { ...live.metadata, labels: { ...live.metadata.labels, ...OWNED } } };
    deniedBy(await refusal(mcsync.request('PUT', PATHS.service(NS, 'foreign'), { body: adopt })), 'update');
    const touch = { ...live, metadata: { ...live.metadata, annotations: { touched: 'yes' } } };
    deniedBy(await refusal(mcsync.request('PUT', PATHS.service(NS, 'foreign'), { body: touch })), 'update');
    deniedBy(await refusal(mcsync.request('DELETE', PATHS.service(NS, 'foreign'))), 'delete');
    const after = await getService(B, NS, 'foreign');
    assert.equal(after?.metadata?.resourceVersion, live.metadata.resourceVersion, 'untouched');
  });

  test('an EndpointSlice it does not own cannot be updated or deleted', async () => {
    const live = await admin.request<EndpointSlice>('POST', PATHS.slices(NS), { body: slice('foreign-slice', { 'endpointslice.kubernetes.io/managed-by': 'someone-else' }) });
    const adopt = { ...live, metadata: { ...live.metadata, labels: { ...live.metadata.labels, ...OWNED } } };
    deniedBy(await refusal(mcsync.request('PUT', PATHS.slice(NS, 'foreign-slice'), { body: adopt })), 'update');
    deniedBy(await refusal(mcsync.request('DELETE', PATHS.slice(NS, 'foreign-slice'))), 'delete');
    assert.equal((await slicesOf(B, NS, 'foreign-slice')).length, 1);
  });

  test('a user\'s NetworkPolicy cannot be changed or deleted, nor an unlabelled one created (companions only)', async () => {
    deniedBy(await refusal(mcsync.request('POST', PATHS.networkPolicies(NS), { body: policy('bare') })), 'create');
    const live = await admin.request<NetworkPolicy>('POST', PATHS.networkPolicies(NS), { body: policy('users-own', { team: 'local' }) });
    const widened = { ...live, spec: { ...live.spec, ingress: [{}] } };
    deniedBy(await refusal(mcsync.request('PUT', PATHS.networkPolicy(NS, 'users-own'), { body: widened })), 'update');
    deniedBy(await refusal(mcsync.request('DELETE', PATHS.networkPolicy(NS, 'users-own'))), 'delete');
    const after = await admin.request<NetworkPolicy>('GET', PATHS.networkPolicy(NS, 'users-own'));
    assert.equal(after.metadata.resourceVersion, live.metadata.resourceVersion, 'untouched');
    const mine = await mcsync.request<NetworkPolicy>('POST', PATHS.networkPolicies(NS), { body: policy('companion', OWNED) });
    await mcsync.request('DELETE', PATHS.networkPolicy(NS, 'companion'), { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: mine.metadata.uid } } });
  });

  test('owned objects can be created, updated and deleted, but not given away', async () => {
    const created = await mcsync.request<Service>('POST', PATHS.services(NS), { body: service('mine', OWNED) });
    const updated = await mcsync.request<Service>('PUT', PATHS.service(NS, 'mine'), {
      body: { ...created, metadata: { ...created.metadata, annotations: { 'mcsync.io/sources': 'a' } } },
    });
    assert.equal(updated.metadata.annotations?.['mcsync.io/sources'], 'a');
    const { 'mcsync.io/managed-by': _gone, ...released } = updated.metadata.labels!;
    deniedBy(await refusal(mcsync.request('PUT', PATHS.service(NS, 'mine'), { body: { ...updated, metadata: { ...updated.metadata, labels: released } } })), 'update');
    // With preconditions, as mcsync deletes.
    await mcsync.request('DELETE', PATHS.service(NS, 'mine'), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: updated.metadata.uid, resourceVersion: updated.metadata.resourceVersion } },
    });
    assert.equal(await getService(B, NS, 'mine'), undefined);

    const s = await mcsync.request<EndpointSlice>('POST', PATHS.slices(NS), { body: slice('mine', OWNED) });
    await mcsync.request('PUT', PATHS.slice(NS, 'mine'), { body: { ...s, endpoints: [{ addresses: ['10.100.9.10'], conditions: { ready: false } }] } });
    await mcsync.request('DELETE', PATHS.slice(NS, 'mine'));
    assert.deepEqual(await slicesOf(B, NS, 'mine'), []);
  });
});

describe('every other identity', () => {
  test('the admin creates, updates and deletes unlabelled objects as before', async () => {
    const created = await admin.request<Service>('POST', PATHS.services(NS), { body: service('admins') });
    await admin.request('PUT', PATHS.service(NS, 'admins'), { body: { ...created, metadata: { ...created.metadata, annotations: { edited: 'yes' } } } });
    await admin.request('DELETE', PATHS.service(NS, 'admins'));
    await admin.request('POST', PATHS.slices(NS), { body: slice('admins') });
    await admin.request('DELETE', PATHS.slice(NS, 'admins'));
  });

  test('another ServiceAccount with the same rights is not bound by the policy', async () => {
    const path = await restrictedKubeconfig(set.get('b'), 'not-mcsync', [
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'create', 'update', 'delete'] },
    ], writeConfig('', 'b-not-mcsync.kubeconfig'));
    await waitFor(() => canI(path, { verb: 'create', resource: 'services', namespace: NS }), { what: 'the binding to take effect' });
    const other = KubeClient.fromFile('b', path);
    try {
      const created = await other.request<Service>('POST', PATHS.services(NS), { body: service('others') });
      await other.request('PUT', PATHS.service(NS, 'others'), { body: { ...created, metadata: { ...created.metadata, annotations: { edited: 'yes' } } } });
      await other.request('DELETE', PATHS.service(NS, 'others'));
    } finally {
      other.close();
    }
  });
});

describe('mcsync itself under the policy', () => {
  test('sync replicates, leaves a foreign Service in the way alone, and prune removes its replicas', async () => {
    const ns = 'shop';
    await serviceWithPod(podsA, ns, 'cart');
    await serviceWithPod(podsA, ns, 'web');
    await podsB.ensureNamespace(ns);
    await podsB.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web', labels: { team: 'local' } }, spec: { ports: [{ port: 80 }] } } });
    const foreignRv = (await getService(B, ns, 'web'))!.metadata!.resourceVersion;
    await waitFor(async () => (await slicesOf(A, ns, 'cart')).some((s) => (s.endpoints ?? []).length > 0), { what: 'cart\'s endpoints in a' });
    const cfg = writeConfig(['instance: adm', 'clusters:',
      '- name: a', `  kubeconfig: ${saKubeconfig.a}`, '  services:', `  - namespace: ${ns}`, '    exportTo: [b]',
      '- name: b', `  kubeconfig: ${saKubeconfig.b}`].join('\n') + '\n');

    const r = await runMcsync(['sync', '--config', cfg]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /conflict: b: shop\/web/);
    assert.doesNotMatch(r.stdout + r.stderr, /mcsync-owned-only/, 'mcsync never even tried a write the policy refuses');
    assert.equal((await getService(B, ns, 'cart'))?.metadata?.labels?.['mcsync.io/managed-by'], 'mcsync');
    assert.equal((await slicesOf(B, ns, 'cart', REPLICA_SLICES)).length, 1);
    assert.equal((await getService(B, ns, 'web'))?.metadata?.resourceVersion, foreignRv);

    const p = await runMcsync(['prune', '--config', cfg]);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.equal(await getService(B, ns, 'cart'), undefined);
    assert.deepEqual(await slicesOf(B, ns, 'cart', REPLICA_SLICES), []);
    assert.ok(await getService(B, ns, 'web'), 'the foreign Service stays');
  });
});
