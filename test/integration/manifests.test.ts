// The plain install manifests against a real apiserver: every object is accepted by a
// server-side dry run (schema, defaults, admission), and the config each one carries loads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { applyManifests } from '../support/kube.ts';

const file = (p: string) => new URL(`../../deploy/${p}`, import.meta.url).pathname;
const docs = (p: string) => parseAllDocuments(readFileSync(file(p), 'utf8')).map((d) => d.toJS() as KubernetesObject).filter(Boolean);

let set: ClusterSet;
before(async () => {
  set = await startClusterSet({ names: ['m'] });
  await applyManifests(set.get('m'), [file('rbac/serviceaccount.yaml'), file('rbac/source-reader.yaml'), file('rbac/destination-writer.yaml')]);
});
after(() => set?.down());

for (const manifest of ['manifests/push.yaml', 'manifests/pull.yaml']) {
  test(`${manifest}: every object passes a server-side dry run and its config loads`, async () => {
    const api = KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get('m')));
    const objects = docs(manifest);
    assert.deepEqual(objects.map((o) => o.kind), ['ConfigMap', 'Deployment', 'Service']);
    for (const o of objects) {
      const accepted = await api.create(o, undefined, 'All');
      assert.equal(accepted.metadata?.name, o.metadata?.name);
    }
    const cm = objects[0] as KubernetesObject & { data: Record<string, string> };
    const config = parseConfigText(cm.data['config.yaml']!, `${manifest}#config.yaml`, { checkKubeconfigs: false });
    assert.deepEqual(config.clusters.map((c) => c.name), ['onPremCluster1', 'eksCluster1']);
    const args = ((objects[1] as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]!).args;
    assert.ok(args.includes('--leader-elect'));
    if (manifest.includes('pull')) {
      assert.equal(args[args.indexOf('--local-cluster') + 1], 'onPremCluster1');
      assert.equal(config.clusters[0]!.inCluster, true, 'the local cluster uses the pod\'s ServiceAccount');
    }
  });
}
