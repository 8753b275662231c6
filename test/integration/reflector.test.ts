// The reflector against a real apiserver: list then watch, label-scoped, surviving the server
// ending its streams and the apiserver itself going away and coming back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { Store } from '../../src/kube/store.ts';
import { Reflector, type ReflectorEvent } from '../../src/kube/reflector.ts';
import type { Service } from '../../src/vocab/objects.ts';

describe('reflector', () => {
  let set: ClusterSet;
  let pods: Pods;
  let client: KubeClient;
  const events: ReflectorEvent<Service>[] = [];
  let reflector: Reflector<Service>;
  const svc = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels }, spec: { ports: [{ port: 80 }] } });

  before(async () => {
    set = await startClusterSet({ names: ['r'] });
    pods = new Pods(set.get('r'));
    await pods.ensureNamespace('watched');
    await pods.core.createNamespacedService({ namespace: 'watched', body: svc('early', { watched: 'yes' }) });
    await pods.core.createNamespacedService({ namespace: 'watched', body: svc('ignored', { watched: 'no' }) });
    client = KubeClient.fromFile('r', set.get('r').kubeconfigPath);
    reflector = new Reflector<Service>({
      listerWatcher: client, store: new Store<Service>(), path: '/api/v1/namespaces/watched/services', labelSelector: 'watched=yes',
      watchTimeoutSeconds: 2, backoffBaseMs: 100, backoffMaxMs: 1000,
      onEvent: (e) => events.push(e),
    });
    reflector.start();
  });

  after(async () => {
    await reflector?.stop();
    client?.close();
    await set?.down();
  });

  const names = () => [...reflector.store.values()].map((s) => s.metadata.name).sort();

  test('lists what matches its selector, then follows adds, changes and deletes', async () => {
    await reflector.whenSynced();
    assert.deepEqual(names(), ['early']);
    await pods.core.createNamespacedService({ namespace: 'watched', body: svc('late', { watched: 'yes' }) });
    const early = await pods.core.readNamespacedService({ namespace: 'watched', name: 'early' });
    early.metadata!.annotations = { touched: 'yes' };
    await pods.core.replaceNamespacedService({ namespace: 'watched', name: 'early', body: early });
    await pods.core.deleteNamespacedService({ namespace: 'watched', name: 'late' });
    await waitFor(async () => events.some((e) => e.type === 'deleted' && e.object.metadata.name === 'late'), { what: 'the delete event' });
    assert.deepEqual(names(), ['early']);
    assert.equal(reflector.store.get('watched/early')?.metadata.annotations?.touched, 'yes');
    assert.ok(!events.some((e) => e.object.metadata.name === 'ignored'), 'the selector is applied by the server');
  });

  test('keeps following after the server ends its watch streams', async () => {
    const watchesBefore = reflector.stats.watches;
    await waitFor(async () => reflector.stats.watches >= watchesBefore + 2, { what: 'two more watch streams (2 s server timeout)' });
    await pods.core.createNamespacedService({ namespace: 'watched', body: svc('after-timeouts', { watched: 'yes' }) });
    await waitFor(async () => reflector.store.has('watched/after-timeouts'), { what: 'an add after re-watching' });
  });

  // The cause of a flaky status-page run: one watch request unanswered in time on a loaded
  // machine left a healthy cluster "unreachable" until something in the collection changed.
  test('is connected again as soon as its frozen apiserver answers, even with nothing changing in the collection', async () => {
    const apiserver = set.running[0]!.processes.find((p) => p.name.includes('apiserver'))!;
    assert.equal(readFileSync(`/proc/${apiserver.pid}/comm`, 'utf8').trim(), 'kube-apiserver');
    await waitFor(async () => reflector.connected, { what: 'connected before the freeze' });
    const errorsBefore = reflector.stats.errors;
    process.kill(apiserver.pid, 'SIGSTOP');
    try {
      // The open stream goes quiet (watchdog 7 s for a 2 s watchTimeout), the re-opened one is not answered (3.5 s).
      await waitFor(async () => reflector.stats.errors > errorsBefore && !reflector.connected, { what: 'the reflector to report the frozen apiserver', timeoutMs: 30_000 });
    } finally {
      process.kill(apiserver.pid, 'SIGCONT');
    }
    const eventsBefore = events.length;
    const listsBefore = reflector.stats.lists;
    await waitFor(async () => reflector.connected, { what: 'connected again once the apiserver answers', timeoutMs: 30_000 });
    assert.equal(events.length, eventsBefore, 'nothing changed in the collection: no event brought it back');
    assert.equal(reflector.stats.lists, listsBefore, 'nor a relist: the answered watch did');
    assert.equal(reflector.unhealthySince, undefined);
  });

  test('survives its apiserver going away and coming back, and catches up', async () => {
    const running = set.running[0]!;
    const errorsBefore = reflector.stats.errors;
    await running.stop();
    await waitFor(async () => reflector.stats.errors > errorsBefore, { what: 'the reflector to notice the outage' });
    assert.ok(reflector.store.has('watched/early'), 'an outage does not empty the store');
    await running.restart();
    await pods.core.createNamespacedService({ namespace: 'watched', body: svc('after-outage', { watched: 'yes' }) });
    await waitFor(async () => reflector.store.has('watched/after-outage'), { what: 'an add after the outage' });
    assert.deepEqual(names(), ['after-outage', 'after-timeouts', 'early']);
  });
});
