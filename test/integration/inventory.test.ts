// Clusters from a Cluster Inventory: a hub cluster with the ClusterProfile CRD as
// sigs.k8s.io/cluster-inventory-api ships it, two profiles pointing at two other harness
// clusters, and the upstream secretreader exec plugin (built from the module) handing mcsync a
// bound ServiceAccount token it reads from a Secret on the hub. `mcsync sync` from the inventory
// replicates as it does from a file; a revoked and renewed token is picked up by re-running
// the plugin after a 401; status and doctor say where clusters came from; bad input stops
// before anything is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController } from '../../harness/src/mcsync/controller.ts';
import { writeCount } from '../../harness/src/observe/metrics.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { adminToken, applyInventoryCrd, putProfile, putTokenSecret, secretreaderPlugin, secretreaderProviderFile, setClusterId, type ProfileSpec } from '../../harness/src/controlplane/inventory.ts';
import { loadResolved } from '../../src/engine/inventory.ts';
import { clientFor } from '../../src/engine/clusters.ts';
import { addressMap, apis, replicasAre, serviceWithPod, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';
import { ok } from '../support/mcsync.ts';

const ns = 'inv';
const SA = { namespace: 'mcsync-system', name: 'mcsync' };
const WRITTEN = ['services', 'endpointslices', 'namespaces'];

let set: ClusterSet;
let plugin: string;
let West: Apis;
let podsEast: Pods;
const tokens: Record<string, string> = {};
let providerFile: string;

function profile(name: 'east' | 'west', over: Partial<ProfileSpec> = {}): ProfileSpec {
  return {
    name, target: set.get(name), provider: 'secretreader', healthy: true,
    properties: { region: name === 'east' ? 'eu' : 'us', 'cluster.clusterset.k8s.io': name },
    extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { clusterName: name } }],
    ...over,
  };
}

/** A config with only an inventory (east exports `ns`), next to the provider file. */
function inventoryConfig(instance: string, over: { hub?: string; namespace?: string; providerFile?: string } = {}): string {
  const path = writeConfig([
    `instance: ${instance}`,
    'inventory:',
    `  hub: { kubeconfig: ${yamlString(over.hub ?? set.get('hub').kubeconfigPath)} }`,
    `  namespace: ${over.namespace ?? 'fleet'}`,
    `  providerFile: ${yamlString(over.providerFile ?? providerFile)}`,
    '  rules:',
    '  - match: { labelSelector: "region=eu" }',
    `    services: [{ namespace: ${ns} }]`,
  ].join('\n') + '\n');
  return path;
}

async function written(): Promise<number> {
  return (await writeCount(set.get('east'), WRITTEN)) + (await writeCount(set.get('west'), WRITTEN));
}

before(async () => {
  plugin = await secretreaderPlugin();
  set = await startClusterSet({ names: ['hub', 'east', 'west'] });
  const hub = set.get('hub');
  West = apis(set.get('west'));
  podsEast = new Pods(set.get('east'));
  await applyInventoryCrd(hub);
  const core = kubeConfigFor(hub).makeApiClient(CoreV1Api);
  for (const n of ['fleet', 'empty', 'odd']) await core.createNamespace({ body: { metadata: { name: n } } });
  for (const name of ['east', 'west'] as const) {
    tokens[name] = await adminToken(set.get(name), SA.namespace, SA.name);
    // secretreader reads <its kubeconfig context's namespace, else default>/<clusterName>.
    await putTokenSecret(hub, 'default', name, tokens[name]!);
    await putProfile(hub, 'fleet', profile(name));
  }
  providerFile = join(dirname(writeConfig('', 'providers.json')), 'providers.json');
  writeFileSync(providerFile, secretreaderProviderFile(plugin, hub.kubeconfigPath));
});

after(() => set?.down());

describe('one-shot commands from the inventory', () => {
  let cfg: string;
  let firstIp: string;

  before(async () => {
    cfg = inventoryConfig('inv');
    firstIp = await serviceWithPod(podsEast, ns, 'web');
  });

  test('sync replicates east\'s Services to west as from a file, and a file config of the same clusters then plans nothing', async () => {
    ok(await runMcsync(['sync', '--config', cfg]));
    await replicasAre(West, ns, 'web', { [firstIp]: true }, 'web of east in west');
    const file = writeConfig([
      'instance: inv', 'clusters:',
      `- name: east`, `  kubeconfig: ${yamlString(set.get('east').kubeconfigPath)}`, `  services: [{ namespace: ${ns} }]`,
      `- name: west`, `  kubeconfig: ${yamlString(set.get('west').kubeconfigPath)}`,
    ].join('\n') + '\n');
    const plan = JSON.parse(ok(await runMcsync(['plan', '--config', file, '-o', 'json'])).stdout) as { actions: unknown[] };
    assert.deepEqual(plan.actions, [], 'what the inventory wrote is exactly what the file would have');
  });

  test('status shows where each cluster came from and its profile\'s health', async () => {
    const out = JSON.parse(ok(await runMcsync(['status', '--config', cfg, '-o', 'json'])).stdout) as { clusters: unknown[]; inventoryProblems: string[] };
    assert.deepEqual(out.clusters, [
      { cluster: 'east', origin: 'inventory', profile: 'fleet/east', provider: 'secretreader', healthy: true, health: 'ControlPlaneHealthy=True (Healthy: the control plane answers)', connected: true },
      { cluster: 'west', origin: 'inventory', profile: 'fleet/west', provider: 'secretreader', healthy: true, health: 'ControlPlaneHealthy=True (Healthy: the control plane answers)', connected: true },
    ]);
    assert.deepEqual(out.inventoryProblems, []);
    const table = ok(await runMcsync(['status', '--config', cfg])).stdout;
    assert.match(table, /^east\s+inventory\s+fleet\/east\s+secretreader\s+true\s+ControlPlaneHealthy=True/m);
  });

  test('doctor: the inventory, each profile\'s health, and cluster ids (a mismatch warns, one id claimed twice fails)', async () => {
    await putProfile(set.get('hub'), 'fleet', profile('west', { healthy: false }));
    await setClusterId(set.get('east'), 'east');
    await setClusterId(set.get('west'), 'east');
    try {
      const r = await runMcsync(['doctor', '--config', cfg, '-o', 'json']);
      assert.equal(r.code, 1, r.stderr);
      const checks = (JSON.parse(r.stdout) as { checks: { name: string; scope: string; result: string; message: string }[] }).checks;
      const at = (name: string, scope: string) => checks.find((c) => c.name === name && c.scope === scope);
      assert.equal(at('inventory', 'fleet')?.result, 'pass');
      assert.match(at('inventory', 'fleet')!.message, /^2 cluster\(s\) from ClusterProfiles in namespace fleet of the hub https:.*: east, west$/);
      assert.equal(at('profile-health', 'east')?.result, 'pass');
      assert.deepEqual([at('profile-health', 'west')?.result, at('profile-health', 'west')?.message], ['warn', 'ClusterProfile fleet/west (provider "secretreader"): the cluster manager reports ControlPlaneHealthy=False (Unreachable: no answer from the control plane); mcsync still tries the cluster, see reachable']);
      assert.equal(at('reachable', 'west')?.result, 'pass', 'reached with the plugin\'s token');
      assert.equal(at('cluster-id', 'east')?.result, 'pass');
      assert.equal(at('cluster-id', 'west')?.result, 'warn');
      assert.deepEqual([at('cluster-ids', 'fleet')?.result, at('cluster-ids', 'fleet')?.message], ['fail', 'clusters claim the same id (cluster.clusterset.k8s.io): "east" by east, west: each cluster of a clusterset needs its own id']);
    } finally {
      await putProfile(set.get('hub'), 'fleet', profile('west'));
      await setClusterId(set.get('west'), 'west');
    }
  });

  test('a cluster\'s id from its ClusterProperty is the source cluster its replicas name; back to its name, they follow', async () => {
    const sourceLabels = async () => (await slicesOf(West, ns, 'web', REPLICA_SLICES)).map((s) => s.metadata?.labels?.['multicluster.kubernetes.io/source-cluster']);
    await setClusterId(set.get('east'), 'prod-east');
    try {
      ok(await runMcsync(['sync', '--config', cfg]));
      assert.deepEqual([...new Set(await sourceLabels())], ['prod-east']);
    } finally {
      await setClusterId(set.get('east'), 'east');
    }
    ok(await runMcsync(['sync', '--config', cfg]));
    assert.deepEqual([...new Set(await sourceLabels())], ['east'], 'rewritten under the name again, none left behind');
  });

  test('a revoked token is renewed through the plugin after a 401, in the same client; the next sync carries on and west never loses a replica', async () => {
    const { config } = await loadResolved(cfg);
    const east = clientFor(config.clusters.find((c) => c.name === 'east')!);
    const sampled = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const ip of Object.keys(addressMap(await slicesOf(West, ns, 'web', REPLICA_SLICES)))) sampled.add(ip);
        if (!(firstIp in addressMap(await slicesOf(West, ns, 'web', REPLICA_SLICES)))) sampled.add(`lost ${firstIp}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await east.request('GET', '/api/v1/namespaces/default');
      assert.equal(east.execRuns, 1);
      await east.request('GET', '/api/v1/namespaces/default');
      assert.equal(east.execRuns, 1, 'an answer without expirationTimestamp is kept until refused');

      // Revoke: the ServiceAccount goes, so its bound token answers 401; then a new one, put where the plugin reads.
      const core = kubeConfigFor(set.get('east')).makeApiClient(CoreV1Api);
      await core.deleteNamespacedServiceAccount(SA);
      await waitFor(() => unauthorized(set.get('east').server, tokens['east']!), { what: 'the old token to be refused with 401' });
      const renewed = await adminToken(set.get('east'), SA.namespace, SA.name);
      await putTokenSecret(set.get('hub'), 'default', 'east', renewed);

      await east.request('GET', '/api/v1/namespaces/default');
      assert.equal(east.execRuns, 2, 'the 401 dropped the token and the plugin ran again');

      const second = (await podsEast.create({ namespace: ns, name: 'web-2', labels: { app: 'web' } })).status!.podIP!;
      ok(await runMcsync(['sync', '--config', cfg]));
      await replicasAre(West, ns, 'web', { [firstIp]: true, [second]: true }, 'a change in east after the rotation reaches west');
      tokens['east'] = renewed;
    } finally {
      east.close();
      sampling = false;
      await sampler;
    }
    assert.ok(!sampled.has(`lost ${firstIp}`), 'west never lost the replica address');
  });
});

test('mcsync run takes its clusters from the inventory at start and keeps west in step with east', async () => {
  // The instance the one-shot syncs wrote west's replicas as: run takes them over.
  const ctl = await startController(['--config', inventoryConfig('inv'), '--status-page']);
  try {
    await ctl.ready();
    const status = await ctl.status();
    assert.deepEqual(status.clusters.map((c) => [c.cluster, c.connected]), [['east', true], ['west', true]]);
    // Where each cluster came from, on the metrics and the status page's data.
    assert.match((await ctl.get('/metrics')).text, /mcsync_cluster_info\{cluster="east",origin="inventory",profile="[^/"]+\/east"\} 1/);
    const fleet = JSON.parse((await ctl.get('/fleet')).text) as { clusters: { name: string; origin?: { kind: string; profile?: string } }[] };
    assert.deepEqual(fleet.clusters.map((c) => [c.name, c.origin?.kind]), [['east', 'inventory'], ['west', 'inventory']]);
    const more = (await podsEast.create({ namespace: ns, name: 'web-run', labels: { app: 'web' } })).status!.podIP!;
    await waitFor(async () => more in addressMap(await slicesOf(West, ns, 'web', REPLICA_SLICES)), { what: 'a pod of east added while run watches to reach west through the plugin\'s token' });
  } finally {
    await ctl.stop('SIGTERM');
  }
});

/** Whether a token is refused outright (401) by the apiserver at `server`. */
async function unauthorized(server: string, token: string): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server, skipTLSVerify: true }], users: [{ name: 'u', token }], contexts: [{ name: 'c', cluster: 'c', user: 'u' }], currentContext: 'c' });
  return kc.makeApiClient(CoreV1Api).listNamespace().then(() => false, (err: { code?: number }) => err.code === 401);
}

describe('bad input: a clear error, exit 2, nothing written', () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['a hub without the ClusterProfile CRD', async () => inventoryConfig('bad1', { hub: set.get('west').kubeconfigPath }),
      /inventory: the inventory hub \(https:[^)]*\) does not serve ClusterProfiles \(multicluster\.x-k8s\.io\/v1alpha1\): install the CRD clusterprofiles\.multicluster\.x-k8s\.io/],
    ['an empty namespace', async () => inventoryConfig('bad2', { namespace: 'empty' }),
      /inventory: no ClusterProfile in namespace empty of the inventory hub/],
    ['a profile whose access provider the provider file does not know', async () => {
      await putProfile(set.get('hub'), 'odd', profile('east', { provider: 'kubelogin' }));
      return inventoryConfig('bad3', { namespace: 'odd' });
    }, /ClusterProfile odd\/east: no access provider of the provider file is offered: the profile offers "kubelogin", the provider file has "secretreader"/],
    ['a provider whose plugin is not there', async () => {
      const path = join(dirname(writeConfig('', 'missing.json')), 'missing.json');
      writeFileSync(path, secretreaderProviderFile('/nonexistent/secretreader-plugin', set.get('hub').kubeconfigPath));
      return inventoryConfig('bad4', { providerFile: path });
    }, /providers\[0\]\.execConfig\.command: plugin of provider "secretreader" was not found: \/nonexistent\/secretreader-plugin is not an executable file/],
    ['a plugin that fails (no Secret for the profile)', async () => {
      await putProfile(set.get('hub'), 'odd', profile('east', { extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { clusterName: 'nobody' } }] }));
      return inventoryConfig('bad5', { namespace: 'odd' });
    }, /cluster east: credential plugin of access provider "secretreader" \(ClusterProfile odd\/east\) failed \(exit code 1\): .*nobody/],
  ];

  for (const [what, make, want] of cases) {
    test(what, async () => {
      const cfg = await make();
      const before = await written();
      const r = await runMcsync(['sync', '--config', cfg]);
      assert.equal(r.code, 2, `exit 2\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(r.stderr, want);
      for (const t of Object.values(tokens)) assert.ok(!r.stderr.includes(t) && !r.stdout.includes(t), 'no token in the output');
      assert.equal(await written(), before, 'nothing written');
    });
  }
});
