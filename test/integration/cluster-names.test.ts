// Clusters named as YAML would read something else: `y` and `no` are booleans to Kubernetes'
// Go loader (YAML 1.1). Both come up, kube-controller-manager included (it reads a kubeconfig
// of its own), kubectl and client-node reach both, and mcsync syncs between them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ensureComponents } from '../../harness/src/controlplane/components.ts';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { MCS_SOURCE_CLUSTER, SOURCES } from '../../src/vocab/labels.ts';
import { addressMap, apis, getService, serviceWithPod, slicesOf, sourceSettled } from '../support/kube.ts';

const NAMES = ['y', 'no'];

describe('clusters named y and no', { skip: process.env.MCSYNC_TEST_KUBECONFIGS ? 'MCSYNC_TEST_KUBECONFIGS is set: this test is about the clusters the harness starts' : false }, () => {
  let set: ClusterSet;

  before(async () => {
    set = await startClusterSet({ names: NAMES });
  });

  after(() => set?.down());

  test('kubectl reaches both, through the context named after each', async () => {
    const { kubectl } = await ensureComponents(['kubectl']);
    for (const name of NAMES) {
      const { kubeconfigPath } = set.get(name);
      const context = spawnSync(kubectl, ['--kubeconfig', kubeconfigPath, 'config', 'current-context'], { encoding: 'utf8' });
      assert.equal(context.stdout.trim(), name, context.stderr);
      const ns = spawnSync(kubectl, ['--kubeconfig', kubeconfigPath, '--context', name, 'get', 'ns', '-o', 'name'], { encoding: 'utf8' });
      assert.equal(ns.status, 0, ns.stderr);
      assert.match(ns.stdout, /namespace\/kube-system/);
    }
  });

  test("each cluster's controller-manager runs: its EndpointSlice controller lists a pod", async () => {
    for (const name of NAMES) {
      const running = set.running.find((c) => c.name === name)!;
      assert.ok(running.processes.every((p) => p.running()), `${name}'s components all run`);
      const ip = await serviceWithPod(new Pods(set.get(name)), 'local', 'web');
      assert.deepEqual(await sourceSettled(apis(set.get(name)), 'local', 'web', 1), { [ip]: true });
    }
  });

  test('mcsync syncs between them, the names quoted in its config', async () => {
    const ip = await serviceWithPod(new Pods(set.get('y')), 'shared', 'api');
    await sourceSettled(apis(set.get('y')), 'shared', 'api', 1);
    const entry = (name: string) => [`- name: ${yamlString(name)}`, `  kubeconfig: ${yamlString(set.get(name).kubeconfigPath)}`];
    const cfg = writeConfig(['instance: named', 'clusters:', ...entry('y'), '  services:', '  - namespace: shared', ...entry('no'), ''].join('\n'));
    const r = await runMcsync(['sync', '--config', cfg]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const no = apis(set.get('no'));
    const replica = await getService(no, 'shared', 'api');
    assert.equal(replica?.metadata?.annotations?.[SOURCES], 'y', `a replica of y's api in no\n${r.stdout}`);
    const slices = await slicesOf(no, 'shared', 'api');
    assert.deepEqual(slices.map((s) => s.metadata?.labels?.[MCS_SOURCE_CLUSTER]), ['y']);
    assert.deepEqual(addressMap(slices), { [ip]: true });
  });
});
