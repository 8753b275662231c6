import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { externalClusters, startClusterSet, validateNames, STATE_DIR } from './clusterset.ts';
import { clusterCidrs } from './cluster.ts';
import { scratchDir } from './tempdir.ts';

test('cluster names must be DNS labels and unique', () => {
  assert.doesNotThrow(() => validateNames(['a', 'on-prem-1']));
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
