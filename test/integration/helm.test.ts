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

/** There is no public image: every render names one unless a test is about its absence. */
const IMAGE = { repository: 'registry.example/mcsync' };

function render(values: Record<string, unknown>, ...set: string[]): { code: number | null; objects: KubernetesObject[]; stderr: string } {
  const file = `${scratchDir('mcsync-helm-')}/values.yaml`;
  writeFileSync(file, stringify({ image: IMAGE, ...values }));
  const r = spawnSync(helm, ['template', 'mcsync', chart, '--namespace', NS, '-f', file, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
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
  // values.schema.json (the config's own schema for `config`) names the bad value's path.
  const refused = (r: { code: number | null; stderr: string }, re: RegExp) => {
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
  };
  refused(render({ config: { clusters } }, 'replica=3'), /additional properties 'replica' not allowed/);
  refused(render({ config: { clusters } }, 'mode=pul'), /at '\/mode': value must be one of 'push', 'pull'/);
  refused(render({ config: { clusters } }, 'config.clusters[0].nam=x'), /at '\/config\/clusters\/0': additional properties 'nam' not allowed/);
  refused(render({ config: { clusters } }, 'config.conflictPolicy=merg'), /at '\/config\/conflictPolicy': value must be one of 'skip', 'merge'/);
  refused(render({ config: { clusters: [] } }), /at '\/config\/clusters': minItems: got 0, want 1/);
  refused(render({ config: { clusters }, image: { repository: '' } }), /image\.repository is required: there is no public mcsync image/);
  assert.match(render({ mode: 'pull', config: { clusters } }).stderr, /mode: pull needs localCluster/);
  assert.match(render({ replicas: 3, leaderElection: { enabled: false }, config: { clusters } }).stderr, /replicas > 1 needs leaderElection\.enabled/);
});

/** The release notes `helm install` prints, rendered against the apiserver (a dry run: nothing is installed). */
function notes(values: Record<string, unknown>): string {
  const file = `${scratchDir('mcsync-helm-')}/values.yaml`;
  writeFileSync(file, stringify({ image: IMAGE, ...values }));
  const r = spawnSync(helm, ['install', 'rel', chart, '--namespace', NS, '-f', file, '--dry-run=server', '--kubeconfig', set.get('h').kubeconfigPath], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.slice(r.stdout.indexOf('NOTES:'));
}

test('NOTES name the Lease mcsync really writes, where it is, and never chain a command after port-forward', () => {
  const cases: { values: Record<string, unknown>; cluster: string }[] = [
    { values: { config: { clusters } }, cluster: 'onPremCluster1' },
    { values: { config: { clusters, instance: 'east', leaderElection: { cluster: 'eksCluster1', name: 'my-lease' } } }, cluster: 'eksCluster1' },
    { values: { mode: 'pull', localCluster: 'eksCluster1', statusPage: { enabled: true }, config: { clusters: [clusters[0], { name: 'eksCluster1', services: [{ namespace: 'client' }] }], instance: 'west' } }, cluster: 'eksCluster1' },
  ];
  for (const { values, cluster } of cases) {
    const text = notes(values);
    const cm = render(values).objects.find((o) => o.kind === 'ConfigMap') as KubernetesObject & { data: Record<string, string> };
    const config = parseConfigText(cm.data['config.yaml']!, 'chart ConfigMap', { checkKubeconfigs: false });
    // The Lease as mcsync will name it: the command must find it.
    assert.ok(text.includes(`kubectl -n ${config.leaderElection.namespace} get lease ${config.leaderElection.name} `), text);
    assert.ok(text.includes(`in cluster ${cluster}`), text);
    assert.ok(!/port-forward[^\n]*(&&|;)/.test(text), 'port-forward blocks: nothing after it on its line would run');
    assert.ok(text.includes('curl -s localhost:9090/status'));
    assert.equal(text.includes('status page'), (values.statusPage as { enabled?: boolean } | undefined)?.enabled === true);
  }
});
