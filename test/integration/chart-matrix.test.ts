// Every manifest an operator can get from this repository, validated by a real kube-apiserver
// (the MCS CRDs installed, as a cluster running mcsync with `mcs: true` has them):
// `kubectl apply --dry-run=server` of the chart rendered for every combination of the values
// that switch what it renders — push/pull, leader election, mcs, networkPolicies, the status
// page — with each other switch (admission policy, RBAC, ServiceAccount, metrics Service,
// PodDisruptionBudget, kubeconfig Secret, the production knobs) both on and off across them;
// and every plain manifest under deploy/. One cluster, started once for the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { ensureComponents } from '../../harness/src/controlplane/components.ts';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { parseConfigText } from '../../src/config/load.ts';

const root = new URL('../..', import.meta.url).pathname;
const chart = join(root, 'deploy/helm/mcsync');
const NS = 'mcsync-system';
let helm: string;
let kubectl: string;
let set: ClusterSet;

before(async () => {
  ({ helm, kubectl } = await ensureComponents(['helm', 'kubectl']));
  set = await startClusterSet({ names: ['v'], mcsCrds: true });
  // Namespaces exist for real: a dry run creates nothing, so objects in a namespace made by
  // the same dry run would be refused.
  const pods = new Pods(set.get('v'));
  for (const ns of [NS, 'stars']) await pods.ensureNamespace(ns);
});
after(() => set?.down());

type Doc = { kind: string; metadata: { name: string }; [k: string]: unknown };

/** `kubectl apply --dry-run=server`; the kinds and names the apiserver accepted. */
function serverDryRun(yamlText: string, what: string): string[] {
  const r = spawnSync(kubectl, ['--kubeconfig', set.get('v').kubeconfigPath, 'apply', '--dry-run=server', '-o', 'name', '-f', '-'], { input: yamlText, encoding: 'utf8' });
  assert.equal(r.status, 0, `${what}: the apiserver refused:\n${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

const clusters = [
  { name: 'onPremCluster1', kubeconfig: '/etc/mcsync/kubeconfigs/onprem', services: [{ namespace: 'stars' }] },
  { name: 'eksCluster1', kubeconfig: '/etc/mcsync/kubeconfigs/eks', services: [{ namespace: 'client' }] },
];

interface Combo { pull: boolean; leader: boolean; mcs: boolean; networkPolicies: boolean; statusPage: boolean }
const combos: Combo[] = [];
for (let i = 0; i < 32; i++) {
  combos.push({ pull: !!(i & 1), leader: !!(i & 2), mcs: !!(i & 4), networkPolicies: !!(i & 8), statusPage: !!(i & 16) });
}

/** The values for combination `i`: the mode switches from `c`, every other switch flipped by i's parity or its quarter. */
function valuesFor(c: Combo, i: number): Record<string, unknown> {
  const odd = i % 2 === 1;
  const early = i < 16;
  return {
    image: { repository: 'registry.example/mcsync', tag: '9.9.9' },
    mode: c.pull ? 'pull' : 'push',
    localCluster: c.pull ? 'onPremCluster1' : '',
    replicas: c.leader ? 2 : 1,
    leaderElection: { enabled: c.leader },
    statusPage: { enabled: c.statusPage },
    config: {
      clusters: c.pull ? [{ name: 'onPremCluster1', services: [{ namespace: 'stars' }] }, clusters[1]] : clusters,
      ...(c.mcs ? { mcs: true } : {}),
      ...(c.networkPolicies ? { networkPolicies: true } : {}),
    },
    kubeconfigs: early ? { files: { onprem: 'apiVersion: v1\nkind: Config\n', eks: 'apiVersion: v1\nkind: Config\n' } } : { existingSecret: 'reader-kubeconfigs' },
    admissionPolicy: { enabled: odd },
    rbac: { create: early || odd },
    serviceAccount: { create: !odd || early, annotations: odd ? { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/mcsync' } : {} },
    metrics: { service: { enabled: !odd } },
    podDisruptionBudget: early ? { enabled: true, maxUnavailable: 1 } : { enabled: odd, minAvailable: '50%' },
    ...(odd ? {
      imagePullSecrets: [{ name: 'my-registry' }],
      podAnnotations: { 'example.com/team': 'network' },
      podLabels: { team: 'network' },
      priorityClassName: 'system-cluster-critical',
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'mcsync' } } }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'node-role', operator: 'In', values: ['infra'] }] } }] } },
      extraEnv: [{ name: 'PATH', value: '/opt/plugins/bin:/usr/local/bin:/usr/bin' }],
      extraVolumes: [{ name: 'plugins', emptyDir: {} }],
      extraVolumeMounts: [{ name: 'plugins', mountPath: '/opt/plugins', readOnly: true }],
    } : {}),
  };
}

function render(values: Record<string, unknown>): string {
  const file = join(scratchDir('mcsync-chart-'), 'values.yaml');
  writeFileSync(file, stringify(values));
  const r = spawnSync(helm, ['template', 'mcsync', chart, '--namespace', NS, '-f', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

for (const [i, c] of combos.entries()) {
  const name = Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' ');
  test(`chart: ${name}`, () => {
    const values = valuesFor(c, i);
    const text = render(values);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Doc).filter(Boolean);
    // What each switch turns on is there, and only then.
    const kinds = new Set(docs.map((d) => `${d.kind}/${d.metadata.name}`));
    const has = (k: string) => kinds.has(k);
    assert.equal(has('Role/mcsync-leader-election'), c.leader && (values.rbac as { create: boolean }).create);
    assert.equal(has('ClusterRole/mcsync-mcs-writer'), c.mcs && (values.rbac as { create: boolean }).create);
    assert.equal(has('ClusterRole/mcsync-network-policy-writer'), c.networkPolicies && (values.rbac as { create: boolean }).create);
    assert.equal(has('ServiceAccount/mcsync'), (values.serviceAccount as { create: boolean }).create);
    assert.equal(has('PodDisruptionBudget/mcsync'), (values.podDisruptionBudget as { enabled: boolean }).enabled);
    const dep = docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { args: string[]; volumeMounts: { mountPath: string; subPath?: string }[] }[] } } } };
    const ctr = dep.spec.template.spec.containers[0]!;
    assert.equal(ctr.args.includes('--status-page'), c.statusPage);
    assert.equal(ctr.args.includes('--leader-elect'), c.leader);
    assert.equal(ctr.args.includes('--local-cluster=onPremCluster1'), c.pull);
    // The config is a file inside a directory mount, never a subPath: edits must reach the pod.
    assert.deepEqual(ctr.volumeMounts.filter((m) => m.subPath), []);
    const configArg = ctr.args.find((a) => a.startsWith('--config='))!.slice('--config='.length);
    assert.ok(ctr.volumeMounts.some((m) => configArg.startsWith(`${m.mountPath}/`)), `${configArg} lies in a mounted directory`);
    const cm = docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    const config = parseConfigText(cm.data['config.yaml']!, 'chart ConfigMap', { checkKubeconfigs: false });
    assert.equal(config.mcs, c.mcs);
    // The Prometheus Operator's CRD is not installed; everything else goes to the apiserver.
    const forServer = docs.filter((d) => d.kind !== 'ServiceMonitor').map((d) => stringify(d)).join('---\n');
    const accepted = serverDryRun(forServer, `chart ${name}`);
    assert.equal(accepted.length, docs.length, accepted.join('\n'));
  });
}

test('chart: the ServiceMonitor renders when asked', () => {
  const text = render({ ...valuesFor(combos[0]!, 0), metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } } });
  const sm = parseAllDocuments(text).map((d) => d.toJS() as Doc).find((d) => d?.kind === 'ServiceMonitor');
  assert.ok(sm);
});

/** Every YAML file under deploy/ that is a Kubernetes manifest (not values, rules or a chart template). */
function plainManifests(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) {
        if (p !== join(root, 'deploy/helm')) walk(p);
      } else if (p.endsWith('.yaml')) out.push(p);
    }
  };
  walk(join(root, 'deploy'));
  return out.filter((p) => parseAllDocuments(readYaml(p)).every((d) => {
    const o = d.toJS() as { apiVersion?: string; kind?: string } | null;
    return o === null || (typeof o.apiVersion === 'string' && typeof o.kind === 'string');
  }));
}
const readYaml = (p: string) => readFileSync(p, 'utf8');

test('deploy/: every plain manifest passes a server-side dry run', () => {
  const files = plainManifests().map((p) => relative(root, p)).sort();
  for (const must of ['deploy/manifests/push.yaml', 'deploy/manifests/pull.yaml', 'deploy/rbac/serviceaccount.yaml', 'deploy/admission/owned-only.yaml', 'deploy/mcs/crds/multicluster.x-k8s.io_serviceexports.yaml', 'deploy/grafana/configmap.yaml']) {
    assert.ok(files.includes(must), `${must} is among the manifests found`);
  }
  // The Prometheus Operator's kind needs its CRD, which the harness does not install;
  // deploy/prometheus/rules.test.ts checks it is rules.yaml wrapped, and promtool checks those rules.
  const operatorOnly = files.filter((f) => /^kind: PrometheusRule$/m.test(readYaml(join(root, f))));
  assert.deepEqual(operatorOnly, ['deploy/prometheus/prometheusrule.yaml']);
  for (const f of files.filter((x) => !operatorOnly.includes(x))) {
    const accepted = serverDryRun(asApplied(f), f);
    assert.ok(accepted.length >= 1, `${f}: ${accepted.join(', ')}`);
  }
});

/**
 * A manifest as the docs say to apply it. The About API's CRD is kept as upstream wrote it, without
 * the approval annotation an apiserver demands of a `*.k8s.io` group: deploy/about/README.md
 * says to add one when applying it, and so the dry run does.
 */
function asApplied(f: string): string {
  const text = readYaml(join(root, f));
  if (!f.startsWith('deploy/about/crds/')) return text;
  const doc = parseDocument(text);
  doc.setIn(['metadata', 'annotations', 'api-approved.kubernetes.io'], 'unapproved, the upstream about-api CRD carries no approval annotation');
  return doc.toString();
}
