// The Helm chart, rendered by a real helm (built from its Go module like the cluster
// components) and applied to a real apiserver with a server-side dry run, in push and pull
// topologies; bad values are refused at render time with a message that says what to fix.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureComponents } from '../../harness/src/controlplane/components.ts';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { parseConfigText } from '../../src/config/load.ts';

const chart = new URL('../../deploy/helm/mcsync', import.meta.url).pathname;
const NS = 'mcsync-system';
let helm: string;
let set: ClusterSet;

before(async () => {
  ({ helm } = await ensureComponents(['helm']));
  set = await startClusterSet({ names: ['h'] });
  await new Pods(set.get('h')).ensureNamespace(NS);
});
after(() => set?.down());

function render(values: unknown): { code: number | null; objects: KubernetesObject[]; stderr: string } {
  const file = `${scratchDir('mcsync-helm-')}/values.yaml`;
  writeFileSync(file, stringify(values));
  const r = spawnSync(helm, ['template', 'mcsync', chart, '--namespace', NS, '-f', file], { encoding: 'utf8' });
  const objects = r.status === 0 ? parseAllDocuments(r.stdout).map((d) => d.toJS() as KubernetesObject).filter(Boolean) : [];
  return { code: r.status, objects, stderr: r.stderr };
}

async function dryRun(objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get('h')));
  for (const o of objects) await api.create(o, undefined, 'All');
}

const clusters = [
  { name: 'onPremCluster1', kubeconfig: '/etc/mcsync/kubeconfigs/onprem', services: [{ namespace: 'stars' }] },
  { name: 'eksCluster1', kubeconfig: '/etc/mcsync/kubeconfigs/eks', services: [{ namespace: 'client' }] },
];

test('push: every object passes a dry run on a real apiserver; the optional pieces appear when asked', async () => {
  const { code, objects, stderr } = render({
    config: { clusters }, kubeconfigs: { files: { onprem: 'apiVersion: v1\nkind: Config\n', eks: 'apiVersion: v1\nkind: Config\n' } },
    admissionPolicy: { enabled: true }, metrics: { serviceMonitor: { enabled: true } },
  });
  assert.equal(code, 0, stderr);
  const kinds = objects.map((o) => o.kind).sort();
  for (const k of ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount', 'ServiceMonitor', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) {
    assert.ok(kinds.includes(k), `${k} rendered`);
  }
  // The Prometheus Operator's CRD is not installed in the harness: everything else goes to the apiserver.
  await dryRun(objects.filter((o) => o.kind !== 'ServiceMonitor'));
  const cm = objects.find((o) => o.kind === 'ConfigMap') as KubernetesObject & { data: Record<string, string> };
  const config = parseConfigText(cm.data['config.yaml']!, 'chart ConfigMap', { checkKubeconfigs: false });
  assert.equal(config.leaderElection.namespace, NS, 'the Lease lives in the release namespace');
  const dep = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { replicas: number; template: { spec: { containers: { args: string[]; securityContext: { readOnlyRootFilesystem: boolean } }[] } } } };
  assert.equal(dep.spec.replicas, 2);
  const c = dep.spec.template.spec.containers[0]!;
  assert.ok(c.args.includes('--leader-elect'));
  assert.ok(!c.args.some((a) => a.startsWith('--local-cluster')));
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
});

test('pull: the release writes only to its own cluster, through its ServiceAccount', async () => {
  const { code, objects, stderr } = render({
    mode: 'pull', localCluster: 'onPremCluster1',
    config: { clusters: [{ name: 'onPremCluster1', services: [{ namespace: 'stars' }] }, clusters[1]] },
    kubeconfigs: { existingSecret: 'reader-kubeconfigs' }, metrics: { service: { enabled: false } }, rbac: { create: true },
  });
  assert.equal(code, 0, stderr);
  assert.ok(!objects.some((o) => o.kind === 'Secret'), 'an existing Secret is used, not made');
  assert.ok(!objects.some((o) => o.kind === 'Service'), 'the metrics Service can be turned off');
  await dryRun(objects);
  const dep = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
  assert.ok(dep.spec.template.spec.containers[0]!.args.includes('--local-cluster=onPremCluster1'));
  const cm = objects.find((o) => o.kind === 'ConfigMap') as KubernetesObject & { data: Record<string, string> };
  const config = parseConfigText(cm.data['config.yaml']!, 'chart ConfigMap', { checkKubeconfigs: false });
  assert.equal(config.clusters[0]!.inCluster, true);
  assert.equal(config.leaderElection.cluster, 'onPremCluster1');
});

test('bad values are refused at render time with what to fix', () => {
  assert.match(render({ config: { clusters: [] } }).stderr, /config\.clusters is empty/);
  assert.match(render({ mode: 'pull', config: { clusters } }).stderr, /mode: pull needs localCluster/);
  assert.match(render({ replicas: 3, leaderElection: { enabled: false }, config: { clusters } }).stderr, /replicas > 1 needs leaderElection\.enabled/);
});
