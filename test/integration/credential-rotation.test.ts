// The destination's credential rotated under `mcsync run`. b is written with a bound token from
// the TokenRequest API for the ServiceAccount mcsync-system/mcsync, bound to deploy/rbac's
// roles. A rotation deletes that ServiceAccount (every token bound to it then fails with 401),
// makes it again and writes a new token over the kubeconfig file in one rename, as a Secret
// volume update does. After each, a change in a still reaches b, with no restart, and b never
// loses a replica address meanwhile. The first rotation puts the file's mtime back where it
// was, so only the re-read that a 401 triggers can find the new token; the second leaves the
// mtime moved, for the client's poll of the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, renameSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods, kubeConfigFor } from '../../harness/src/workload/pods.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { addressMap, apis, canI, installedServiceAccount, replicasAre, serviceAccountKubeconfig, serviceWithPod, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const RBAC = ['serviceaccount.yaml', 'source-reader.yaml', 'destination-writer.yaml'].map((f) => join(ROOT, 'deploy/rbac', f));
const SA = { namespace: 'mcsync-system', name: 'mcsync' };
const ns = 'rot';
/** Whole seconds, so a pinned mtime reads back exactly as it was. */
const PINNED_MTIME_S = 1_700_000_000;

let set: ClusterSet;
let B: Apis;
let podsA: Pods;
let bKubeconfig: string;
let ctl: RunningController;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  B = apis(set.get('b'));
  podsA = new Pods(set.get('a'));
  bKubeconfig = await installedServiceAccount(set.get('b'), RBAC);
  utimesSync(bKubeconfig, PINNED_MTIME_S, PINNED_MTIME_S);
});

after(async () => {
  await ctl?.stop('SIGTERM');
  await set?.down();
});

/** Whether a kubeconfig's credential is refused outright (401), not merely denied something. */
async function unauthorized(kubeconfigPath: string): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc.makeApiClient(CoreV1Api).listNamespace().then(() => false, (err: { code?: number }) => err.code === 401);
}

/**
 * Revokes the token in b's kubeconfig file (the ServiceAccount deleted, seen to answer 401) and
 * writes a new one over the file; with `pinMtime` the file keeps the mtime it had.
 */
async function rotate(step: string, pinMtime: boolean): Promise<void> {
  const core = kubeConfigFor(set.get('b')).makeApiClient(CoreV1Api);
  const old = writeConfig('', `b-revoked-${step}.kubeconfig`);
  copyFileSync(bKubeconfig, old);
  await core.deleteNamespacedServiceAccount(SA);
  await waitFor(() => unauthorized(old), { what: `${step}: the old token to be refused with 401` });
  await core.createNamespacedServiceAccount({ namespace: SA.namespace, body: { metadata: { name: SA.name } } });
  const next = await serviceAccountKubeconfig(set.get('b'), SA.namespace, SA.name, writeConfig('', `b-next-${step}.kubeconfig`));
  await waitFor(() => canI(next, { verb: 'create', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: ns }), { what: `${step}: the new token's bindings` });
  if (pinMtime) utimesSync(next, PINNED_MTIME_S, PINNED_MTIME_S);
  renameSync(next, bKubeconfig);
}

test('a revoked and rotated token in the destination\'s kubeconfig is picked up without a restart, and no replica is dropped', async () => {
  const want: Record<string, boolean> = { [await serviceWithPod(podsA, ns, 'r')]: true };
  const cfg = writeConfig([
    'instance: rot', 'controller:', '  watchTimeout: 2s', 'clusters:',
    '- name: a', `  kubeconfig: ${yamlString(set.get('a').kubeconfigPath)}`, '  services:', `  - namespace: ${ns}`, '    exportTo: [b]',
    '- name: b', `  kubeconfig: ${yamlString(bKubeconfig)}`,
  ].join('\n') + '\n');
  ctl = await startController(['--config', cfg]);
  await ctl.ready();
  await replicasAre(B, ns, 'r', want, 'r in b');
  const pid = ctl.child.pid;

  // b's replica, sampled all along: an address it has held, and a still exports, is never missing.
  const mustHold = new Set(Object.keys(want));
  const dropped = new Set<string>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const held = addressMap(await slicesOf(B, ns, 'r', REPLICA_SLICES));
      for (const ip of mustHold) if (!(ip in held)) dropped.add(ip);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  try {
    for (const [n, [step, pinMtime]] of ([['the 401 re-read', true], ['the mtime poll', false]] as const).entries()) {
      await rotate(step, pinMtime);
      const ip = (await podsA.create({ namespace: ns, name: `r-${n + 1}`, labels: { app: 'r' } })).status!.podIP!;
      want[ip] = true;
      await replicasAre(B, ns, 'r', want, `after a rotation found by ${step}, a change in a reaches b`);
      mustHold.add(ip);
    }
  } finally {
    sampling = false;
    await sampler;
  }
  assert.deepEqual([...dropped], [], 'b never lost a replica address');
  assert.equal(ctl.child.pid, pid);
  assert.equal(ctl.child.exitCode, null, 'the same mcsync run, never restarted');
  assert.ok((await ctl.status()).clusters.every((c) => c.connected), 'every cluster connected with the new token');
});
