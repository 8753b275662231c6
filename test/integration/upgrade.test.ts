// Upgrading mcsync: this tree adopts what an earlier release wrote. The earlier release is the
// build of a fixed commit of main (RELEASE below); its `mcsync sync` replicates a plain workload,
// then this tree's `mcsync sync` and `mcsync run` (until ready and caught up) find everything
// current: zero writes by the apiservers' own count, every replica object untouched, and every
// endpoint still there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor, waitForSteady } from '../../harness/src/util/wait.ts';
import { writeCount } from '../../harness/src/observe/metrics.ts';
import { releaseEntry, runRelease } from '../../harness/src/mcsync/release.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController } from '../../harness/src/mcsync/controller.ts';
import { addressMap, apis, getService, newestResourceVersion, slicesOf, sourceSettled, REPLICA_SLICES, type Apis } from '../support/kube.ts';

/** The last main before Kubernetes versions and upgrades were tested: the release upgraded from. */
const RELEASE = 'c859cd3';
const NS = 'shop';
const SERVICES = ['web', 'db'];
/** What mcsync writes; the controllers of the clusters themselves write Leases and Events all along. */
const WRITTEN = ['services', 'endpointslices', 'namespaces'];

let set: ClusterSet;
let A: Apis, B: Apis;
let oldEntry: string;
let config: string;

before(async () => {
  // Built once into the cache, keyed by the commit; reruns take it from there.
  [oldEntry, set] = await Promise.all([releaseEntry(RELEASE), startClusterSet({ names: ['a', 'b'] })]);
  [A, B] = ['a', 'b'].map((n) => apis(set.get(n))) as [Apis, Apis];
  config = writeConfig([
    'instance: upgrade',
    'clusters:',
    `- name: a`, `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', `  - namespace: ${NS}`,
    `- name: b`, `  kubeconfig: ${set.get('b').kubeconfigPath}`,
  ].join('\n') + '\n');

  // A plain workload: a ClusterIP Service with a ready and a not-ready pod, a headless one with
  // hostnames. No trafficDistribution or ipFamilies: fields a newer mcsync may carry and an
  // older one did not would be a change, not an upgrade.
  const pods = new Pods(set.get('a'));
  await pods.ensureNamespace(NS);
  await pods.core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
  await pods.core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] } } });
  await pods.create({ namespace: NS, name: 'web-0', labels: { app: 'web' } });
  await pods.create({ namespace: NS, name: 'web-1', labels: { app: 'web' }, ready: false });
  for (const i of [0, 1]) await pods.create({ namespace: NS, name: `db-${i}`, labels: { app: 'db' }, hostname: `db-${i}`, subdomain: 'db' });
  await sourceSettled(A, NS, 'web', 2);
  await sourceSettled(A, NS, 'db', 2);
});

after(() => set?.down());

/** Each replica Service and slice in b by name, with its resourceVersion: any write to one changes it. */
async function replicaVersions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const svc of SERVICES) {
    const s = await getService(B, NS, svc);
    if (s) out[`service/${svc}`] = s.metadata!.resourceVersion!;
    for (const slice of await slicesOf(B, NS, svc, REPLICA_SLICES)) out[`slice/${slice.metadata!.name}`] = slice.metadata!.resourceVersion!;
  }
  return out;
}

const endpoints = async () => Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, addressMap(await slicesOf(B, NS, s, REPLICA_SLICES))] as const)));
const writes = async () => Promise.all(['a', 'b'].map((n) => writeCount(set.get(n), WRITTEN)));

test(`this tree adopts what mcsync at ${RELEASE} replicated, writing nothing and dropping no endpoint`, async () => {
  const old = await runRelease(oldEntry, ['sync', '--config', config]);
  assert.equal(old.code, 0, `mcsync at ${RELEASE} sync:\n${old.stdout}\n${old.stderr}`);
  const sources = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, addressMap(await slicesOf(A, NS, s))] as const)));
  assert.deepEqual(await endpoints(), sources, 'the earlier release replicated every endpoint, ready or not');
  const written = await replicaVersions();
  assert.ok(written['service/web'] && written['service/db'], `replica Services in b: ${JSON.stringify(written)}`);

  // Start from quiet: the earlier sync's writes (and the endpoint controller's) have all landed.
  const before = await waitForSteady(writes, { what: 'writes to settle after the earlier release' });

  const synced = await runMcsync(['sync', '--config', config]);
  assert.equal(synced.code, 0, `this tree's sync:\n${synced.stdout}\n${synced.stderr}`);
  assert.deepEqual((await writes()).map((n, i) => n - before[i]!), [0, 0], `this tree's sync wrote nothing:\n${synced.stdout}`);

  const ctl = await startController(['--config', config]);
  try {
    await ctl.ready();
    // Its replica watch in b has seen every object the earlier release wrote, and no work is left.
    const slices = (await Promise.all(SERVICES.map((s) => slicesOf(B, NS, s, REPLICA_SLICES)))).flat();
    await ctl.caughtUp([{ cluster: 'b', resource: 'endpointslices', selector: '!mcsync.io/import', resourceVersion: newestResourceVersion(slices) }], 'the replicas the earlier release wrote');
    assert.deepEqual((await writes()).map((n, i) => n - before[i]!), [0, 0], 'mcsync run wrote nothing');
  } finally {
    assert.equal(await ctl.stop('SIGTERM'), 0, 'SIGTERM stops it cleanly');
  }
  assert.deepEqual(await replicaVersions(), written, 'every replica object is the one the earlier release wrote');
  assert.deepEqual(await endpoints(), sources, 'every endpoint is still there');
});
