// The shared writer's rules for taking the server's replies into the caches, for every kind a
// capability writes, and its refusal and metrics. A scripted API answers; real stores hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAction, deleteAction, statusAction, updateAction } from '../../model/actions.ts';
import { ownershipLabels } from '../../vocab/labels.ts';
import { MCS_API_VERSION, type ServiceExport, type ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, NetworkPolicy, Service } from '../../vocab/objects.ts';
import { ScriptedApi, stored } from '../../kube/scripted-api.test-util.ts';
import { PATHS } from '../../kube/read.ts';
import { Store, type Listed } from '../../kube/store.ts';
import type { Action } from '../../model/types.ts';
import { testWriter } from './writer.test-util.ts';

const owned = { ...ownershipLabels('default') };
const meta = (name: string, rv: string, labels: Record<string, string> = owned) => ({ namespace: 'shop', name, resourceVersion: rv, uid: `u-${name}`, labels });

/** One object of each kind a capability updates, with its path and the action that updates it. */
const KINDS: { kind: string; path: string; action: (o: Listed) => Action; object: Listed }[] = [
  { kind: 'Service', path: PATHS.service('shop', 'web'), object: { metadata: meta('web', '5') } as Service, action: (o) => updateAction('a', 'shop/web', 'Service', o as Service, 'test') },
  { kind: 'EndpointSlice', path: PATHS.slice('shop', 'web-1'), object: { metadata: meta('web-1', '5'), addressType: 'IPv4', endpoints: [] } as EndpointSlice, action: (o) => updateAction('a', 'shop/web', 'EndpointSlice', o as EndpointSlice, 'test') },
  { kind: 'NetworkPolicy', path: PATHS.networkPolicy('shop', 'allow'), object: { metadata: meta('allow', '5'), spec: { podSelector: {} } } as NetworkPolicy, action: (o) => updateAction('a', 'shop/allow', 'NetworkPolicy', o as NetworkPolicy, 'test') },
  { kind: 'ServiceImport', path: PATHS.serviceImport('shop', 'web'), object: { apiVersion: MCS_API_VERSION, kind: 'ServiceImport', metadata: meta('web', '5'), spec: { ports: [], type: 'ClusterSetIP' } } as ServiceImport, action: (o) => updateAction('a', 'shop/web', 'ServiceImport', o as ServiceImport, 'test') },
  // A user's ServiceExport: only its status is ours, and it is cached whatever its labels.
  { kind: 'ServiceExport', path: `${PATHS.serviceExport('shop', 'web')}/status`, object: { apiVersion: MCS_API_VERSION, kind: 'ServiceExport', metadata: meta('web', '5', {}) } as ServiceExport, action: (o) => statusAction('a', 'shop/web', 'ServiceExport', o as ServiceExport, 'test') },
];

for (const k of KINDS) {
  test(`${k.kind}: an update's reply refreshes the cache, and never brings back what the watch deleted meanwhile`, async () => {
    const api = new ScriptedApi('a');
    const store = new Store<Listed>();
    const writer = testWriter(api);
    store.set('shop/' + k.object.metadata.name, k.object);
    api.on('PUT', k.path, stored('6'));
    const [kept] = await writer.apply('replicas', 'shop/x', [k.action(k.object)], () => store, 'changed');
    assert.equal(kept?.outcome, 'done');
    assert.equal(store.get('shop/' + k.object.metadata.name)?.metadata.resourceVersion, '6', 'the reply is taken in');

    // The object is deleted and its watch event removes it while our update is in flight.
    api.on('PUT', k.path, (req) => {
      store.delete('shop/' + k.object.metadata.name);
      return stored('7')(req);
    });
    const [late] = await writer.apply('replicas', 'shop/x', [k.action(store.get('shop/' + k.object.metadata.name)!)], () => store, 'changed');
    assert.equal(late?.outcome, 'done');
    assert.equal(late?.change, undefined);
    assert.equal(store.has('shop/' + k.object.metadata.name), false, 'the reply did not resurrect it');
  });
}

test('a create\'s reply is cached only when it is ours; a delete removes the object', async () => {
  const api = new ScriptedApi('a');
  const store = new Store<Listed>();
  const writer = testWriter(api);
  const mine = { metadata: { namespace: 'shop', name: 'web', labels: owned } } as Service;
  api.on('POST', PATHS.services('shop'), stored('1'));
  await writer.apply('replicas', 'shop/web', [createAction('a', 'shop/web', 'Service', mine, 'new')], () => store, 'changed');
  assert.equal(store.get('shop/web')?.metadata.resourceVersion, '1');
  // A webhook that strips the ownership labels: what comes back is not ours to cache.
  api.on('POST', PATHS.services('shop'), (req) => ({ ...(req.body as Service), metadata: { namespace: 'shop', name: 'db', resourceVersion: '2' } }));
  await writer.apply('replicas', 'shop/db', [createAction('a', 'shop/db', 'Service', { metadata: { namespace: 'shop', name: 'db', labels: owned } } as Service, 'new')], () => store, 'changed');
  assert.equal(store.has('shop/db'), false);
  api.on('DELETE', PATHS.service('shop', 'web'), { value: {} });
  const [gone] = await writer.apply('replicas', 'shop/web', [deleteAction('a', 'shop/web', 'Service', store.get('shop/web')!, 'gone')], () => store, 'changed');
  assert.equal(gone?.change?.type, 'deleted');
  assert.equal(store.has('shop/web'), false);
});

test('a writer that refuses (lost leadership, stopping) sends nothing; every write is counted with its capability', async () => {
  const api = new ScriptedApi('a');
  const counted: Record<string, string>[] = [];
  let leading = true;
  const writer = testWriter(api, { refusal: () => (leading ? undefined : 'not the leader any more; write not sent'), metrics: { writes: { inc: (l) => counted.push(l) } } });
  api.on('POST', PATHS.services('shop'), stored('1'));
  const svc = { metadata: { namespace: 'shop', name: 'web', labels: owned } } as Service;
  await writer.apply('imports', 'shop/web', [createAction('a', 'shop/web', 'Service', svc, 'new')], () => undefined, 'changed');
  leading = false;
  const [refused] = await writer.apply('imports', 'shop/web', [createAction('a', 'shop/web', 'Service', svc, 'new')], () => undefined, 'changed');
  assert.equal(refused?.outcome, 'failed');
  assert.match(refused?.detail ?? '', /not the leader/);
  assert.equal(api.requests.length, 1, 'the refused write was never sent');
  assert.deepEqual(counted.map((l) => [l.capability, l.result]), [['imports', 'done'], ['imports', 'failed']]);
});
