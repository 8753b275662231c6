// The informer registry as the fleet changes while running: a joining cluster's needs become
// watches of their own at the next seal, a need a running watch serves joins it (its store and
// its fan-out), and a leaving cluster's watches are taken out while every other stays as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../../vocab/objects.ts';
import { PATHS } from '../../kube/read.ts';
import { InformerRegistry } from './informers.ts';

const svc = (namespace: string, name: string): Service => ({ metadata: { namespace, name, resourceVersion: '1' }, spec: {} });

test('needs declared after a seal become only the new watches at the next seal; the running ones are not re-made', () => {
  const r = new InformerRegistry();
  r.need<Service>({ cluster: 'a', resource: 'services', path: PATHS.services });
  const first = r.seal();
  assert.deepEqual(first.map((i) => i.cluster), ['a']);
  r.need<Service>({ cluster: 'b', resource: 'services', path: PATHS.services, namespace: 'shop' });
  const added = r.seal();
  assert.deepEqual(added.map((i) => [i.cluster, i.path]), [['b', PATHS.services('shop')]]);
  assert.equal(r.informers.length, 2);
  assert.equal(r.informers[0], first[0], 'the running watch is the same object');
});

test('a later need a running watch serves joins it: same store, and its handler hears the events', () => {
  const r = new InformerRegistry();
  const wide = r.need<Service>({ cluster: 'a', resource: 'services', path: PATHS.services });
  const [inf] = r.seal();
  const heard: string[] = [];
  const shop = r.need<Service>({ cluster: 'a', resource: 'services', path: PATHS.services, namespace: 'shop' }, (e) => heard.push(e.object.metadata.name));
  assert.deepEqual(r.seal(), [], 'no new watch');
  inf!.store.set('shop/web', svc('shop', 'web'));
  inf!.store.set('other/x', svc('other', 'x'));
  assert.equal(wide.size, 2);
  assert.deepEqual([...shop.keys()], ['shop/web'], 'the namespaced view filters the shared store');
  inf!.dispatch({ type: 'added', object: svc('shop', 'web') });
  inf!.dispatch({ type: 'added', object: svc('other', 'x') });
  assert.deepEqual(heard, ['web']);
});

test('drop takes out one cluster\'s watches and returns them; the other cluster\'s stay, and a view of a dropped one still reads its last store', () => {
  const r = new InformerRegistry();
  r.need<Service>({ cluster: 'a', resource: 'services', path: PATHS.services });
  const bView = r.need<Service>({ cluster: 'b', resource: 'services', path: PATHS.services });
  r.need<Service>({ cluster: 'b', resource: 'endpointslices', path: PATHS.slices });
  r.seal();
  bView.set('shop/web', svc('shop', 'web'));
  const gone = r.drop('b');
  assert.deepEqual(gone.map((i) => [i.cluster, i.resource]), [['b', 'services'], ['b', 'endpointslices']]);
  assert.deepEqual(r.informers.map((i) => i.cluster), ['a']);
  assert.equal(bView.get('shop/web')?.metadata.name, 'web');
  // A cluster rejoining gets fresh watches.
  r.need<Service>({ cluster: 'b', resource: 'services', path: PATHS.services });
  assert.deepEqual(r.seal().map((i) => i.cluster), ['b']);
});
