import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, remove, upsert } from './store.ts';
import type { EndpointSlice } from '../vocab/objects.ts';
import { serviceKeyOfSlice } from '../vocab/keys.ts';

const slice = (name: string, service: string, resourceVersion: string): EndpointSlice => ({
  metadata: { name, namespace: 'shop', resourceVersion, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: [],
});

test('an object not newer than the stored copy is ignored: our own write is not undone by its late event', () => {
  const store = new Store<EndpointSlice>();
  assert.equal(upsert(store, slice('web-1', 'web', '10'))?.type, 'added');
  assert.equal(upsert(store, slice('web-1', 'web', '9')), undefined);
  assert.equal(upsert(store, slice('web-1', 'web', '10')), undefined);
  assert.equal(upsert(store, slice('web-1', 'web', '11'))?.type, 'modified');
  assert.equal(store.get('shop/web-1')?.metadata.resourceVersion, '11');
});

test('the index follows every set and delete, including a slice moving to another Service', () => {
  const store = new Store<EndpointSlice>(serviceKeyOfSlice);
  upsert(store, slice('a', 'web', '1'));
  upsert(store, slice('b', 'web', '2'));
  assert.deepEqual(store.indexed('shop/web').map((s) => s.metadata.name), ['a', 'b']);
  upsert(store, slice('b', 'api', '3'));
  assert.deepEqual(store.indexed('shop/web').map((s) => s.metadata.name), ['a']);
  assert.deepEqual(store.indexed('shop/api').map((s) => s.metadata.name), ['b']);
  assert.equal(remove(store, 'shop/a')?.type, 'deleted');
  assert.equal(store.hasIndexed('shop/web'), false);
  assert.deepEqual([...store.indexValues()], ['shop/api']);
  assert.equal(remove(store, 'shop/a'), undefined, 'removing what is gone changes nothing');
});

test('a store with a projection keeps only what it returns, from upserts and from admit alike', () => {
  const store = new Store<{ metadata: { name: string; namespace?: string; resourceVersion?: string }; big?: string }>(undefined, (o) => ({ metadata: o.metadata }));
  upsert(store, { metadata: { name: 'x', namespace: 'n', resourceVersion: '1' }, big: 'drop me' });
  assert.deepEqual(store.get('n/x'), { metadata: { name: 'x', namespace: 'n', resourceVersion: '1' } });
  assert.deepEqual(store.admit({ metadata: { name: 'y' }, big: 'drop me' }), { metadata: { name: 'y' } });
});
