import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { externalClusters, startClusterSet, validateNames, STATE_DIR } from './clusterset.ts';
import { clusterCidrs } from './cluster.ts';
import { isAlive } from '../util/process.ts';
import { scratchDir } from '../util/tempdir.ts';

test('cluster names must be DNS labels and unique', () => {
  assert.doesNotThrow(() => validateNames(['a', 'on-prem-1']));
  // YAML would read these as a boolean, a number, null and a float: the harness quotes them.
  assert.doesNotThrow(() => validateNames(['y', 'no', '1e3', 'null', '1.5', 'eu-west.prod']));
  assert.throws(() => validateNames(['a..b']), /"a\.\.b" must be lower-case/);
  assert.throws(() => validateNames(['.a']), /"\.a" must be lower-case/);
  assert.throws(() => validateNames(['~']), /"~" must be lower-case/);
  assert.throws(() => validateNames(['a'.repeat(33)]), /at most 32/);
  assert.throws(() => validateNames([]), /at least one/);
  assert.throws(() => validateNames(['A']), /"A" must be lower-case/);
  assert.throws(() => validateNames(['a', 'a']), /"a" is given twice/);
});

test('every cluster index gets pod and service CIDRs no other index has', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const { podCidr, serviceCidr } = clusterCidrs(i);
    assert.ok(!seen.has(podCidr) && !seen.has(serviceCidr));
    seen.add(podCidr).add(serviceCidr);
  }
  assert.throws(() => clusterCidrs(50), /0\.\.49/);
});

test('MCSYNC_TEST_KUBECONFIGS adopts existing clusters by name, then by order', () => {
  const dir = scratchDir('mcsync-ext-');
  for (const n of ['east', 'west']) writeFileSync(join(dir, n), 'x');
  process.env.MCSYNC_TEST_KUBECONFIGS = `east=${join(dir, 'east')},west=${join(dir, 'west')}`;
  process.env.MCSYNC_TEST_POD_CIDRS = 'west=192.0.2.0/24';
  try {
    const got = externalClusters(['a', 'west']);
    assert.deepEqual(got?.map((c) => [c.name, c.kubeconfigPath, c.podCidr]), [
      ['a', join(dir, 'east'), clusterCidrs(0).podCidr],
      ['west', join(dir, 'west'), '192.0.2.0/24'],
    ]);
    assert.throws(() => externalClusters(['a', 'b', 'c']), /needs 3 clusters but MCSYNC_TEST_KUBECONFIGS lists 2/);
  } finally {
    delete process.env.MCSYNC_TEST_KUBECONFIGS;
    delete process.env.MCSYNC_TEST_POD_CIDRS;
  }
  assert.equal(externalClusters(['a']), undefined);
});

test('a directory with a stale harness state is refused with the command that cleans it', async () => {
  const dir = scratchDir('mcsync-stale-');
  mkdirSync(join(dir, STATE_DIR));
  // A pid far above any real one stands for a process that is gone.
  writeFileSync(join(dir, STATE_DIR, 'state.json'), JSON.stringify({ ownerPid: 2 ** 22 + 7, createdAt: 'earlier', createdDir: false, clusters: [] }));
  await assert.rejects(startClusterSet({ names: ['a'], dir }), (err: Error) => {
    assert.match(err.message, /stale harness state/);
    assert.match(err.message, new RegExp(`npm run clusters -- down --dir ${dir}`));
    return true;
  });
  assert.ok(existsSync(join(dir, STATE_DIR, 'state.json')), 'the refused start leaves the directory as it was');
});

/**
 * Stand-ins for the control plane, chosen by the cluster name etcd is given: `bad` fails at
 * once, `slow` never becomes healthy (and records its pid), `flaky` answers /health and then
 * dies while the apiserver starts. The apiserver never becomes ready.
 */
function fakeControlPlane(): string {
  const bin = scratchDir('mcsync-fakebin-');
  const etcd = `#!${process.execPath}
const arg = (f) => process.argv[process.argv.indexOf(f) + 1];
const name = arg('--name');
if (name === 'bad') {
  console.error('etcd: member bad cannot start: data dir is not writable');
  process.exit(2);
}
if (name === 'slow') {
  process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(bin)} + '/slow.pid', String(process.pid));
  setInterval(() => {}, 1000);
}
if (name === 'flaky') {
  const url = new URL(arg('--listen-client-urls'));
  process.getBuiltinModule('node:http').createServer((_, res) => res.end('{"health":"true"}')).listen(Number(url.port), url.hostname);
  setTimeout(() => { console.error('etcd: panic: lost its disk'); process.exit(3); }, 1500);
}
`;
  writeFileSync(join(bin, 'etcd'), etcd);
  for (const c of ['kube-apiserver', 'kube-controller-manager', 'kubectl']) writeFileSync(join(bin, c), '#!/bin/sh\nexec sleep 300\n');
  for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl']) chmodSync(join(bin, c), 0o755);
  return bin;
}

async function withFakeBins(fn: (bin: string) => Promise<void>): Promise<void> {
  const bin = fakeControlPlane();
  const saved = { bins: process.env.MCSYNC_K8S_BIN_DIR, external: process.env.MCSYNC_TEST_KUBECONFIGS };
  process.env.MCSYNC_K8S_BIN_DIR = bin;
  delete process.env.MCSYNC_TEST_KUBECONFIGS;
  try {
    await fn(bin);
  } finally {
    if (saved.bins === undefined) delete process.env.MCSYNC_K8S_BIN_DIR; else process.env.MCSYNC_K8S_BIN_DIR = saved.bins;
    if (saved.external !== undefined) process.env.MCSYNC_TEST_KUBECONFIGS = saved.external;
  }
}

test('a component that exits during start fails the set with its name and log tail, and stops the other clusters', async () => {
  await withFakeBins(async (bin) => {
    const dir = join(scratchDir('mcsync-failfast-'), 'set');
    // `slow` comes first and would wait out its 30 s deadline: the set must not wait for it.
    await assert.rejects(startClusterSet({ names: ['slow', 'bad'], dir }), (err: Error) => {
      assert.match(err.message, /^bad\/etcd exited during start \(exit 2\); last lines of .*etcd\.log:\n/);
      assert.match(err.message, /member bad cannot start: data dir is not writable/);
      return true;
    });
    const slowPid = Number(readFileSync(join(bin, 'slow.pid'), 'utf8'));
    assert.equal(isAlive(slowPid), false, 'the cluster still starting was stopped');
    assert.equal(existsSync(dir), false, 'the directory the set made is gone');
  });
});

test('a component that dies while the next one starts fails the start at once, naming the one that died', async () => {
  await withFakeBins(async () => {
    // Without watching etcd, this would be the apiserver's 120 s readiness timeout.
    await assert.rejects(startClusterSet({ names: ['flaky'] }), /^HarnessError: flaky\/etcd exited during start \(exit 3\)[^]*lost its disk/);
  });
});
