// The reflector's 410 Gone path against a real apiserver. While the apiserver is down, objects
// are deleted directly in etcd (no apiserver, so no watch event can ever report them) and etcd's
// history is compacted past the reflector's resourceVersion. When the apiserver comes back the
// reflector's watch from that resourceVersion must be refused with 410, and only its relist can
// notice the deletion: this proves the relist repairs what no event would.
//
// An apiserver serves a watch one of two ways, and each refuses an old resourceVersion for its
// own reason, so the test covers both in one cluster and one outage:
// - Services go through the watch cache. A freshly started cache holds no history before its
//   initial list, so it answers "too old resource version" whether or not etcd was compacted.
// - ConfigMaps have the watch cache turned off (--watch-cache-sizes=configmaps#0), so the watch
//   goes to etcd. Without the compaction etcd would replay the deletion as an ordinary DELETED
//   event and no 410 would come (tried: the test then waits forever); the compaction is what
//   makes that path deterministic.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningCluster } from '../../harness/src/controlplane/cluster.ts';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { compact, currentRevision, deleteKey, hasKey, putKey, registryKey } from '../../harness/src/controlplane/etcd.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { Store } from '../../src/kube/store.ts';
import { Reflector, type Listed, type ReflectorEvent } from '../../src/kube/reflector.ts';

const external = process.env.MCSYNC_TEST_KUBECONFIGS
  ? 'MCSYNC_TEST_KUBECONFIGS is set: this test stops an apiserver and edits its etcd, which only harness clusters allow'
  : false;

const ns = 'gone';
// Only what this test creates: the root-CA publisher puts a ConfigMap in every namespace.
const selector = 'test=gone';

interface Watched {
  what: string;
  /** etcd's directory for the resource, under /registry. */
  registry: string;
  reflector: Reflector<Listed>;
  events: ReflectorEvent<Listed>[];
  create(name: string): Promise<unknown>;
}

describe('reflector: 410 Gone after etcd compaction', { skip: external }, () => {
  let set: ClusterSet;
  let cluster: RunningCluster;
  let pods: Pods;
  let client: KubeClient;
  const watched: Watched[] = [];
  const names = (w: Watched) => [...w.reflector.store.values()].map((o) => o.metadata.name).sort();

  before(async () => {
    set = await startClusterSet({ names: ['g'], apiserverFlags: ['--watch-cache-sizes=configmaps#0'] });
    cluster = set.running[0]!;
    pods = new Pods(cluster);
    await pods.ensureNamespace(ns);
    client = KubeClient.fromFile('g', cluster.kubeconfigPath);
    const metadata = (name: string) => ({ name, labels: { test: 'gone' } });
    const kinds = [
      {
        what: 'Services (watch cache)', registry: 'services/specs', path: `/api/v1/namespaces/${ns}/services`,
        create: (name: string) => pods.core.createNamespacedService({ namespace: ns, body: { metadata: metadata(name), spec: { ports: [{ port: 80 }] } } }),
      },
      {
        what: 'ConfigMaps (straight from etcd)', registry: 'configmaps', path: `/api/v1/namespaces/${ns}/configmaps`,
        create: (name: string) => pods.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: metadata(name), data: { k: 'v' } } }),
      },
    ];
    for (const k of kinds) {
      await k.create('keep');
      await k.create('doomed');
      const events: ReflectorEvent<Listed>[] = [];
      const reflector = new Reflector<Listed>({
        listerWatcher: client, store: new Store<Listed>(), path: k.path, labelSelector: selector,
        watchTimeoutSeconds: 2, backoffBaseMs: 100, backoffMaxMs: 1000,
        // No periodic relist: only the 410 may be what makes it list again.
        resyncMs: 0,
        onEvent: (e) => events.push(e),
      });
      watched.push({ what: k.what, registry: k.registry, reflector, events, create: k.create });
      reflector.start();
    }
  });

  after(async () => {
    await Promise.all(watched.map((w) => w.reflector.stop()));
    client?.close();
    await set?.down();
  });

  test('a watch from a compacted resourceVersion gets 410, and the relist repairs a deletion it never saw', async () => {
    for (const w of watched) {
      await w.reflector.whenSynced();
      assert.deepEqual(names(w), ['doomed', 'keep'], w.what);
    }
    const before = watched.map((w) => ({ ...w.reflector.stats }));

    await cluster.stopApiserver();
    // Their streams must be broken before storage changes, or the point of the test is moot.
    for (const [i, w] of watched.entries()) {
      await waitFor(async () => w.reflector.stats.errors > before[i]!.errors, { what: `the ${w.what} reflector to notice the outage` });
    }

    const revBefore = await currentRevision(cluster);
    for (const w of watched) {
      const key = registryKey(w.registry, ns, 'doomed');
      assert.ok(await hasKey(cluster, key), `${key} is where Kubernetes keeps it`);
      assert.equal((await deleteKey(cluster, key)).deleted, 1);
    }
    // Writes past the deletions, so the revision the reflectors hold is well behind.
    for (let i = 0; i < 3; i++) await putKey(cluster, '/mcsync-test/scratch', String(i));
    const compactedTo = await compact(cluster);
    assert.ok(compactedTo >= revBefore + 5, `compacted to ${compactedTo}, from ${revBefore}`);

    await cluster.startApiserver();
    for (const [i, w] of watched.entries()) {
      await waitFor(async () => w.reflector.stats.relistsGone > before[i]!.relistsGone, { what: `a 410 Gone for ${w.what}` });
      await waitFor(async () => !w.reflector.store.has(`${ns}/doomed`), { what: `the relist of ${w.what} to drop what was deleted in etcd` });
      assert.ok(w.reflector.stats.lists > before[i]!.lists, `${w.what}: the store was repaired by a list`);
      assert.ok(w.events.some((e) => e.type === 'deleted' && e.object.metadata.name === 'doomed'), `${w.what}: the relist emits the deletion it found`);
      assert.ok(w.reflector.store.has(`${ns}/keep`), `${w.what}: what still exists survives the relist`);
      assert.ok(!w.events.some((e) => e.type === 'deleted' && e.object.metadata.name === 'keep'), w.what);
    }

    for (const w of watched) {
      await w.create('after-restart');
      await waitFor(async () => w.reflector.store.has(`${ns}/after-restart`), { what: `an add to ${w.what} after the relist` });
      assert.deepEqual(names(w), ['after-restart', 'keep'], w.what);
    }
  });
});
