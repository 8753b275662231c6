import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { runToEnd } from '../util/process.ts';
import { scratchDir } from '../util/tempdir.ts';
import { releaseEntry, runRelease } from './release.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const worktrees = async () => (await runToEnd('git', ['-C', repo, 'worktree', 'list', '--porcelain'])).stdout;

function withCache<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.MCSYNC_CACHE_DIR;
  process.env.MCSYNC_CACHE_DIR = scratchDir('mcsync-release-cache-');
  return fn().finally(() => {
    if (saved === undefined) delete process.env.MCSYNC_CACHE_DIR;
    else process.env.MCSYNC_CACHE_DIR = saved;
  });
}

test('an earlier commit builds into the cache once, runs, and leaves no worktree registered', () => withCache(async () => {
  const before = await worktrees();
  const entry = await releaseEntry('c859cd3');
  assert.match(entry, /mcsync-c859cd3[0-9a-f]{33}\/dist\/src\/cli\/main\.js$/);
  assert.equal(await worktrees(), before, 'git worktree list is as it was');
  const v = await runRelease(entry, ['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  const built = statSync(entry).mtimeMs;
  assert.equal(await releaseEntry('c859cd3'), entry);
  assert.equal(statSync(entry).mtimeMs, built, 'the second call takes the cached build');
}));

test('a commit the clone lacks is a harness error that says so', () => withCache(async () => {
  await assert.rejects(releaseEntry('0123456789abcdef0123456789abcdef01234567'), (err: Error) => {
    assert.equal(err.name, 'HarnessError');
    assert.match(err.message, /commit 0123456789abcdef0123456789abcdef01234567 is not in the history of .*shallow clone/);
    return true;
  });
}));
