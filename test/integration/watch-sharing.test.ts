// One watch per (cluster, resource, selector), whatever capabilities are on: with replicas and
// Multi-Cluster Services both on, a cluster holds no more watches than the larger of the two
// alone, counted by the apiserver itself (apiserver_longrunning_requests, verb WATCH). The
// figures are printed: docs/performance.md quotes them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { startController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { watchCounts } from '../../harness/src/observe/metrics.ts';
import { waitFor } from '../../harness/src/util/wait.ts';

let set: ClusterSet;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'], mcsCrds: true });
});

after(() => set?.down());

type Mode = 'replicas' | 'mcs' | 'both';

function configText(mode: Mode): string {
  const exportsA = mode === 'mcs' ? [] : ['  services:', '  - namespace: shop'];
  return [`instance: w-${mode}`, ...(mode === 'replicas' ? [] : ['mcs: true']), 'clusters:',
    `- name: a`, `  kubeconfig: ${set.get('a').kubeconfigPath}`, ...exportsA,
    `- name: b`, `  kubeconfig: ${set.get('b').kubeconfigPath}`].join('\n') + '\n';
}

/** The watches one controller holds on a, by resource: the difference it makes to the apiserver's count. */
async function watchesOf(mode: Mode): Promise<Record<string, number>> {
  const base = await watchCounts(set.get('a'));
  const ctl = await startController(['--config', writeConfig(configText(mode))]);
  try {
    await ctl.ready();
    // A collection the cluster does not serve (the About API's ClusterProperties, here) has no
    // watch open and never lists: only the listed ones are expected open.
    const declared = (await ctl.progress()).watches.filter((w) => w.cluster === 'a' && w.resourceVersion !== '').length;
    // The apiserver counts a watch once it is open; wait until every declared one is.
    return await waitFor(async () => {
      const now = await watchCounts(set.get('a'));
      const diff: Record<string, number> = {};
      for (const [r, n] of Object.entries(now)) if (n - (base[r] ?? 0) > 0) diff[r] = n - (base[r] ?? 0);
      return Object.values(diff).reduce((x, y) => x + y, 0) >= declared ? diff : undefined;
    }, { what: `the ${mode} controller's watches open on a` });
  } finally {
    await ctl.stop();
  }
}

test('replicas and MCS on one cluster share their Services and EndpointSlices watches', async () => {
  const counts = { replicas: await watchesOf('replicas'), mcs: await watchesOf('mcs'), both: await watchesOf('both') };
  console.log(`watches on cluster a (source and destination), by resource: ${JSON.stringify(counts)}`);
  for (const resource of ['services', 'endpointslices', 'namespaces', 'nodes']) {
    const alone = Math.max(counts.replicas[resource] ?? 0, counts.mcs[resource] ?? 0);
    assert.ok((counts.both[resource] ?? 0) <= alone, `${resource}: ${counts.both[resource]} watches with both on, ${alone} with the larger alone`);
  }
  assert.equal(counts.both.namespaces, 1, 'one Namespaces watch, shared by every capability');
});
