// An earlier mcsync, built from a commit of this repository's history, for the upgrade tests:
// what a user ran before upgrading. The commit's tree is checked out in a temporary detached
// worktree, compiled with this repository's node_modules, and its dist/ kept in the build
// cache keyed by the full commit id, so only the first run pays for the build.
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../controlplane/components.ts';
import { HarnessError } from '../util/errors.ts';
import { runToEnd, type RunResult } from '../util/process.ts';
import { runtimeFlags } from './runtime-flags.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

async function git(args: string[]): Promise<RunResult> {
  return runToEnd('git', ['-C', repo, ...args]);
}

/** The full id of `commit`, or a HarnessError saying the clone lacks it (a shallow clone does). */
async function resolveCommit(commit: string): Promise<string> {
  const r = await git(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`]);
  const id = r.stdout.trim();
  if (r.code !== 0 || !/^[0-9a-f]{40}$/.test(id)) {
    throw new HarnessError(`commit ${commit} is not in the history of ${repo}: the upgrade tests build that earlier mcsync from it; a shallow clone lacks it (git fetch --unshallow)`);
  }
  return id;
}

/**
 * Returns the entry point (dist/src/cli/main.js) of mcsync as built from `commit`, building it
 * once into the cache. The temporary worktree is removed and unregistered whatever happens, so
 * the clone's `git worktree list` is as it was.
 */
export async function releaseEntry(commit: string, onProgress?: (line: string) => void): Promise<string> {
  const id = await resolveCommit(commit);
  const dir = join(cacheRoot(), `mcsync-${id}`);
  const entry = join(dir, 'dist/src/cli/main.js');
  if (existsSync(entry)) return entry;

  mkdirSync(dirname(dir), { recursive: true });
  const work = `${dir}.src-${process.pid}`;
  const staged = `${dir}.tmp-${process.pid}`;
  rmSync(staged, { recursive: true, force: true });
  onProgress?.(`building mcsync at ${id.slice(0, 12)} into ${dir}`);
  const added = await git(['worktree', 'add', '--detach', work, id]);
  if (added.code !== 0) throw new HarnessError(`git worktree add ${work} ${id} failed:\n${added.stderr.trim()}`);
  try {
    // The dependencies of that commit are this tree's (the upgrade is of mcsync, not of its libraries).
    const modules = realpathSync(join(repo, 'node_modules'));
    symlinkSync(modules, join(work, 'node_modules'));
    const tsc = await runToEnd(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', join(work, 'tsconfig.build.json')]);
    if (tsc.code !== 0) throw new HarnessError(`building mcsync at ${id} failed (tsc exit ${tsc.code}):\n${(tsc.stdout + tsc.stderr).trim().split('\n').slice(-20).join('\n')}`);
    // dist/ and package.json (ES modules, and where the CLI reads its version) are all it runs from.
    mkdirSync(staged);
    cpSync(join(work, 'dist'), join(staged, 'dist'), { recursive: true });
    cpSync(join(work, 'package.json'), join(staged, 'package.json'));
    symlinkSync(modules, join(staged, 'node_modules'));
    try {
      renameSync(staged, dir);
    } catch (err) {
      // Another run finished the same build first: its copy is as good as this one.
      if (!existsSync(entry)) throw err;
      rmSync(staged, { recursive: true, force: true });
    }
  } finally {
    await git(['worktree', 'remove', '--force', work]);
    rmSync(work, { recursive: true, force: true });
    await git(['worktree', 'prune']);
  }
  if (!existsSync(entry)) throw new HarnessError(`building mcsync at ${id} left no ${entry}`);
  return entry;
}

/** Runs that earlier mcsync's CLI to the end, with the Node flags its own shebang names. */
export function runRelease(entry: string, args: string[]): Promise<RunResult> {
  return runToEnd(process.execPath, [...runtimeFlags(entry), entry, ...args], { ...process.env, NO_COLOR: '1' });
}
