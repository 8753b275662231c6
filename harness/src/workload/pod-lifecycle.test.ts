import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { clusterCidrs } from '../controlplane/cluster.ts';
import { KWOK_VERSION } from '../controlplane/components.ts';
import { prerequisite } from '../util/prerequisite.ts';
import { KWOK_NODE_ANNOTATION, KWOK_STAGES_PATH, kwokAddresses, kwokArgs, kwokNode, schedulerArgs } from './pod-lifecycle.ts';

test('kwok hands out pod IPs from the upper half of the cluster pod CIDR, and its Node sits at the top of that half', () => {
  assert.deepEqual(kwokAddresses(clusterCidrs(0).podCidr), { podCidr: '10.100.128.0/17', nodeIp: '10.100.255.254' });
  assert.deepEqual(kwokAddresses(clusterCidrs(3).podCidr), { podCidr: '10.103.128.0/17', nodeIp: '10.103.255.254' });
  assert.deepEqual(kwokAddresses('10.1.2.0/24'), { podCidr: '10.1.2.128/25', nodeIp: '10.1.2.254' });
  assert.throws(() => kwokAddresses('fd00::/64'), /IPv4 pod CIDR/);
});

test('kube-scheduler and kwok listen on loopback only, and the scheduler runs without leader election', () => {
  const s = schedulerArgs({ kubeconfig: '/k', port: 1234, certDir: '/c' });
  assert.equal(s[s.indexOf('--bind-address') + 1], '127.0.0.1');
  assert.ok(s.includes('--leader-elect=false'));
  const k = kwokArgs({ kubeconfig: '/k', stages: '/s', podCidr: '10.100.128.0/17', nodeIp: '10.100.255.254', port: 4321 });
  assert.equal(k[k.indexOf('--server-address') + 1], '127.0.0.1:4321');
  assert.equal(k[k.indexOf('--manage-nodes-with-annotation-selector') + 1], `${KWOK_NODE_ANNOTATION}=fake`);
  assert.equal(k[k.indexOf('--cidr') + 1], '10.100.128.0/17');
});

test('the kwok Node is selected by annotation, carries its pod CIDR and has no taint pods would need to tolerate', () => {
  const node = kwokNode('a', clusterCidrs(0).podCidr);
  assert.equal(node.metadata?.name, 'a-kwok-0');
  assert.equal(node.metadata?.annotations?.[KWOK_NODE_ANNOTATION], 'fake');
  assert.deepEqual(node.spec?.podCIDRs, ['10.100.128.0/17']);
  assert.equal(node.spec?.taints, undefined);
});

test('the stages file holds Node and Pod Stages only, and none that completes pods', () => {
  const docs = parseAllDocuments(readFileSync(KWOK_STAGES_PATH, 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { resourceRef: { kind: string } } });
  assert.deepEqual(docs.map((d) => d.metadata.name), ['node-initialize', 'node-heartbeat-with-lease', 'pod-ready', 'pod-delete']);
  for (const d of docs) assert.equal(d.kind, 'Stage');
});

/** kwok's module directory in the local Go module cache (never downloaded), or why not. */
function cachedKwok(): { dir: string } | { missing: string } {
  const out = spawnSync('go', ['mod', 'download', '-json', `sigs.k8s.io/kwok@${KWOK_VERSION}`], {
    cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' }, timeout: 60_000,
  });
  if (out.error) return { missing: `go is not available (${out.error.message})` };
  try {
    const info = JSON.parse(out.stdout) as { Dir?: string; Error?: string };
    return info.Dir ? { dir: info.Dir } : { missing: `the Go module cache lacks sigs.k8s.io/kwok@${KWOK_VERSION} (${info.Error ?? 'no Dir'})` };
  } catch {
    return { missing: `go mod download gave no JSON: ${out.stderr.trim()}` };
  }
}

const kwok = cachedKwok();
test(`the stages are kwok ${KWOK_VERSION}'s own files, unmodified`, { skip: prerequisite(`kwok ${KWOK_VERSION}'s module`, 'missing' in kwok ? kwok.missing : undefined) }, () => {
  const dir = (kwok as { dir: string }).dir;
  const files = ['node/fast/node-initialize.yaml', 'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml', 'pod/fast/pod-ready.yaml', 'pod/fast/pod-delete.yaml'];
  const ours = readFileSync(KWOK_STAGES_PATH, 'utf8').split(/^---\n/m).slice(1);
  assert.equal(ours.length, files.length);
  files.forEach((f, i) => assert.equal(ours[i], readFileSync(join(dir, 'kustomize', 'stage', f), 'utf8'), `${f} differs from kwok's`));
});
