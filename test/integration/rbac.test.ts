// The RBAC manifests in deploy/rbac/ are enough for mcsync and no more: applied to real
// clusters, a token for the `mcsync` ServiceAccount runs `sync` and `run --leader-elect` to
// completion, while the apiserver's own authorizer refuses it everything mcsync never uses.
// The namespaced source-reader template is shown sufficient for a pull-mode reader.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { kubeConfigFor, Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { addressMap, apis, applyManifests, canI, getService, installedServiceAccount, serviceAccountKubeconfig, serviceWithPod, slicesOf, REPLICA_SLICES, type Access, type Apis, replicasAre, sourceSettled } from '../support/kube.ts';
import { ok } from '../support/mcsync.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const RBAC = ['serviceaccount.yaml', 'source-reader.yaml', 'destination-writer.yaml'].map((f) => join(ROOT, 'deploy/rbac', f));
const NAMES = ['a', 'b'];

let set: ClusterSet;
let A: Apis, B: Apis;
let podsA: Pods, podsB: Pods;
/** Cluster name → a kubeconfig authenticating as mcsync-system/mcsync there. */
const saKubeconfig: Record<string, string> = {};

before(async () => {
  set = await startClusterSet({ names: NAMES });
  [A, B] = NAMES.map((n) => apis(set.get(n))) as [Apis, Apis];
  podsA = new Pods(set.get('a'));
  podsB = new Pods(set.get('b'));
  for (const n of NAMES) {
    saKubeconfig[n] = await installedServiceAccount(set.get(n), RBAC);
  }
});

after(() => set?.down());

describe('with exactly deploy/rbac/, as the mcsync ServiceAccount', () => {
  const nsA = 'rbac-a';
  const nsB = 'rbac-b';
  const ip: Record<string, string> = {};
  let cfg: string;

  before(async () => {
    ip.web0 = await serviceWithPod(podsA, nsA, 'web');
    ip.api0 = await serviceWithPod(podsB, nsB, 'api');
    await sourceSettled(A, nsA, 'web', 1);
    await sourceSettled(B, nsB, 'api', 1);
    // Each cluster is source and destination, so every verb of both roles is exercised,
    // namespace creation included (neither namespace exists on the other side).
    cfg = writeConfig([
      'instance: rbac',
      'controller:', '  watchTimeout: 2s', '  resyncInterval: 20s',
      'clusters:',
      '- name: a', `  kubeconfig: ${saKubeconfig.a}`, '  services:', `  - namespace: ${nsA}`,
      '- name: b', `  kubeconfig: ${saKubeconfig.b}`, '  services:', `  - namespace: ${nsB}`,
    ].join('\n') + '\n');
  });

  test('mcsync sync replicates both ways and exits 0', async () => {
    const r = ok(await runMcsync(['sync', '--config', cfg]));
    assert.doesNotMatch(r.stdout + r.stderr, /forbidden|403/i);
    assert.equal((await getService(B, nsA, 'web'))?.metadata?.labels?.['mcsync.io/managed-by'], 'mcsync');
    assert.equal((await getService(A, nsB, 'api'))?.metadata?.labels?.['mcsync.io/managed-by'], 'mcsync');
    await replicasAre(B, nsA, 'web', { [ip.web0!]: true }, 'web in b');
    await replicasAre(A, nsB, 'api', { [ip.api0!]: true }, 'api in a');
    assert.equal((await B.core.readNamespace({ name: nsA })).metadata?.labels?.['mcsync.io/created-namespace'], 'true');
  });

  test('mcsync run --leader-elect takes the Lease, follows a pod change, and stops cleanly', async () => {
    let ctl: RunningController | undefined;
    try {
      ctl = await startController(['--config', cfg, '--leader-elect']);
      await ctl.ready();
      await waitFor(async () => (await ctl!.status()).leader, { what: 'mcsync run to lead' });
      // The Lease is in the first cluster (a), kube-system, named after the instance.
      const lease = await kubeConfigFor(set.get('a')).makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: 'kube-system', name: 'mcsync-rbac' });
      assert.ok(lease.spec?.holderIdentity, 'the Lease names its holder');

      ip.web1 = (await podsA.create({ namespace: nsA, name: 'web-1', labels: { app: 'web' } })).status!.podIP!;
      await replicasAre(B, nsA, 'web', { [ip.web0!]: true, [ip.web1!]: true }, 'the new pod in b');
      await podsA.setReady(nsA, 'web-0', false);
      await replicasAre(B, nsA, 'web', { [ip.web0!]: false, [ip.web1!]: true }, 'the readiness change in b');
      await podsA.delete(nsA, 'web-0');
      await replicasAre(B, nsA, 'web', { [ip.web1!]: true }, 'the deleted pod gone from b');

      assert.equal(await ctl.stop('SIGTERM'), 0, 'SIGTERM: exit 0, Lease released');
      assert.doesNotMatch(ctl.raw, /forbidden|"status":403/i, 'no request was refused');
      const released = await kubeConfigFor(set.get('a')).makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: 'kube-system', name: 'mcsync-rbac' });
      assert.equal(released.spec?.holderIdentity ?? '', '', 'the release (an update) was allowed');
    } finally {
      await ctl?.stop('SIGKILL');
    }
  });

  test('the apiserver refuses it everything mcsync does not use', async () => {
    const denied: Access[] = [
      { verb: 'get', resource: 'secrets', namespace: 'default' },
      { verb: 'list', resource: 'secrets', namespace: 'default' },
      { verb: 'list', resource: 'secrets' },
      { verb: 'get', resource: 'secrets', namespace: 'mcsync-system' },
      { verb: 'watch', resource: 'secrets' },
      { verb: 'create', resource: 'deployments', group: 'apps', namespace: 'default' },
      { verb: 'update', resource: 'deployments', group: 'apps', namespace: 'default' },
      { verb: 'get', resource: 'pods', namespace: 'default' },
      { verb: 'list', resource: 'pods' },
      { verb: 'watch', resource: 'pods' },
      { verb: 'get', resource: 'configmaps', namespace: 'default' },
      // (list and watch nodes are granted: the endpoint guard reads a source's pod CIDRs from its Nodes)
      { verb: 'get', resource: 'nodes', name: 'anything' },
      // verbs on its own resources that it never sends
      { verb: 'patch', resource: 'services', namespace: 'default' },
      { verb: 'deletecollection', resource: 'services', namespace: 'default' },
      { verb: 'patch', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: 'default' },
      { verb: 'deletecollection', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: 'default' },
      { verb: 'update', resource: 'services', subresource: 'status', namespace: 'default' },
      { verb: 'get', resource: 'services', subresource: 'proxy', namespace: 'default' },
      { verb: 'update', resource: 'namespaces', name: 'default' },
      { verb: 'delete', resource: 'namespaces', name: 'default' },
      { verb: 'delete', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system' },
      // ways to more power: a token for another identity, or RBAC of its own
      { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system' },
      { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' },
      { verb: 'update', resource: 'validatingadmissionpolicies', group: 'admissionregistration.k8s.io' },
    ];
    const allowed: Access[] = [
      { verb: 'list', resource: 'services' },
      { verb: 'watch', resource: 'endpointslices', group: 'discovery.k8s.io' },
      { verb: 'create', resource: 'services', namespace: 'default' },
      { verb: 'update', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: 'default' },
      { verb: 'delete', resource: 'services', namespace: 'default' },
      { verb: 'create', resource: 'namespaces' },
      { verb: 'list', resource: 'nodes' },
      { verb: 'watch', resource: 'nodes' },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system' },
    ];
    for (const n of NAMES) {
      for (const a of denied) assert.equal(await canI(saKubeconfig[n]!, a), false, `${n}: may not ${JSON.stringify(a)}`);
      for (const a of allowed) assert.equal(await canI(saKubeconfig[n]!, a), true, `${n}: may ${JSON.stringify(a)}`);
    }
    // Not only what the authorizer says: a real read of Secrets is refused.
    const asMcsync = new KubeConfig();
    asMcsync.loadFromFile(saKubeconfig.a!);
    await assert.rejects(asMcsync.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'kube-system' }), (e: { code?: number }) => e.code === 403);
  });
});

describe('pull mode with the namespaced source-reader template', () => {
  // The template's example namespace, used as it is: the file is applied unchanged.
  const ns = 'stars';
  let readerOfA: string;

  before(async () => {
    const admin = kubeConfigFor(set.get('a')).makeApiClient(CoreV1Api);
    await admin.createNamespacedServiceAccount({ namespace: 'mcsync-system', body: { metadata: { name: 'mcsync-reader' } } });
    await podsA.ensureNamespace(ns);
    await applyManifests(set.get('a'), [join(ROOT, 'deploy/rbac/namespaced/source-reader-role.yaml')]);
    readerOfA = await serviceAccountKubeconfig(set.get('a'), 'mcsync-system', 'mcsync-reader', writeConfig('', 'a-reader.kubeconfig'));
    await waitFor(() => canI(readerOfA, { verb: 'watch', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: ns }), { what: 'the RoleBinding to take effect' });
  });

  test('the reader sees only that namespace, and it is all b\'s instance needs from a', async () => {
    assert.equal(await canI(readerOfA, { verb: 'list', resource: 'services' }), false, 'nothing cluster-wide');
    assert.equal(await canI(readerOfA, { verb: 'list', resource: 'services', namespace: 'default' }), false, 'no other namespace');
    assert.equal(await canI(readerOfA, { verb: 'create', resource: 'services', namespace: ns }), false, 'no writes');

    const ip0 = await serviceWithPod(podsA, ns, 'backend', 6379);
    await sourceSettled(A, ns, 'backend', 1);
    const cfg = writeConfig([
      'instance: pull',
      'controller:', '  watchTimeout: 2s', '  resyncInterval: 20s',
      'clusters:',
      '- name: a', `  kubeconfig: ${readerOfA}`, '  services:', `  - namespace: ${ns}`,
      '- name: b', `  kubeconfig: ${saKubeconfig.b}`,
    ].join('\n') + '\n');
    let ctl: RunningController | undefined;
    try {
      ctl = await startController(['--config', cfg, '--local-cluster', 'b', '--leader-elect']);
      await ctl.ready();
      await replicasAre(B, ns, 'backend', { [ip0]: true }, 'backend in b');
      const ip1 = (await podsA.create({ namespace: ns, name: 'backend-1', labels: { app: 'backend' } })).status!.podIP!;
      await replicasAre(B, ns, 'backend', { [ip0]: true, [ip1]: true }, 'the new pod in b');
      assert.equal(await ctl.stop('SIGTERM'), 0);
      assert.doesNotMatch(ctl.raw, /forbidden|"status":403/i, 'no request was refused');

      // doctor judges the same credentials by what pull mode needs: reads of a's namespace only.
      type Checks = { checks: { name: string; scope: string; result: string; message: string }[] };
      const pull = await runMcsync(['doctor', '--config', cfg, '--local-cluster', 'b', '-o', 'json']);
      const pullChecks = (JSON.parse(pull.stdout) as Checks).checks;
      assert.deepEqual(pullChecks.filter((c) => c.result === 'fail'), [], 'nothing fails in pull mode');
      assert.equal(pull.code, 0, pull.stderr);
      assert.equal(pullChecks.find((c) => c.name === 'permissions' && c.scope === 'a')!.result, 'pass');
      assert.deepEqual(pullChecks.filter((c) => c.name === 'orphaned-replicas').map((c) => c.scope), ['b']);
      const push = await runMcsync(['doctor', '--config', cfg, '-o', 'json']);
      assert.equal(push.code, 1, 'judged as push mode, the reader lacks the cluster-wide reads');
      assert.equal((JSON.parse(push.stdout) as Checks).checks.find((c) => c.name === 'permissions' && c.scope === 'a')!.result, 'fail');
    } finally {
      await ctl?.stop('SIGKILL');
    }
  });
});

// Last, because it narrows b's ClusterRole for the rest of the file.
describe('the namespaced leader-election Role instead of the ClusterRole\'s leases rule', () => {
  test('with the leases rule removed, the Role alone lets mcsync lead with its one Lease', async () => {
    const lease = (name: string, verb: string): Access => ({ verb, resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system', name });
    await applyManifests(set.get('b'), [join(ROOT, 'deploy/rbac/destination-writer.yaml')], (o) => {
      if (o.kind !== 'ClusterRole') return o;
      const role = o as KubernetesObject & { rules: { apiGroups: string[] }[] };
      return { ...role, rules: role.rules.filter((r) => !r.apiGroups.includes('coordination.k8s.io')) } as KubernetesObject;
    });
    // Applied unchanged: the file's Lease name is that of the instance `default`.
    await applyManifests(set.get('b'), [join(ROOT, 'deploy/rbac/namespaced/leader-election-role.yaml')]);
    await waitFor(async () => !(await canI(saKubeconfig.b!, lease('someone-elses', 'update'))) && await canI(saKubeconfig.b!, lease('mcsync-default', 'update')),
      { what: 'the narrower lease rights to take effect' });
    assert.equal(await canI(saKubeconfig.b!, lease('mcsync-default', 'delete')), false);
    assert.equal(await canI(saKubeconfig.b!, { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'b-node-0' }), false, 'no node heartbeats');

    const ns = 'le';
    const ip0 = await serviceWithPod(podsA, ns, 'solo');
    await sourceSettled(A, ns, 'solo', 1);
    const cfg = writeConfig([
      'controller:', '  watchTimeout: 2s', '  resyncInterval: 20s',
      'clusters:',
      '- name: a', `  kubeconfig: ${saKubeconfig.a}`, '  services:', `  - namespace: ${ns}`,
      '- name: b', `  kubeconfig: ${saKubeconfig.b}`,
    ].join('\n') + '\n');
    let ctl: RunningController | undefined;
    try {
      ctl = await startController(['--config', cfg, '--local-cluster', 'b', '--leader-elect']);
      await waitFor(async () => (await ctl!.status()).leader, { what: 'mcsync run to lead' });
      await replicasAre(B, ns, 'solo', { [ip0]: true }, 'solo in b');
      assert.equal(await ctl.stop('SIGTERM'), 0);
      assert.doesNotMatch(ctl.raw, /forbidden|"status":403/i, 'no request was refused');

      const released = await kubeConfigFor(set.get('b')).makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: 'kube-system', name: 'mcsync-default' });
      assert.equal(released.spec?.holderIdentity ?? '', '', 'released with an update by name');
    } finally {
      await ctl?.stop('SIGKILL');
    }
  });
});
