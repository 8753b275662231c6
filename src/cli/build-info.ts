// Which build of mcsync this is: the package version, and the git commit it was built from.
// An installed package has no .git, so `npm run build` writes the commit into
// dist/src/cli/build-info.json (scripts/write-build-info.ts), next to this module's compiled
// form; run from a clone's sources, where no such file is, git is asked directly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../version.ts';

/** What the build records: nothing of the machine or the time of the build, so builds of one commit are alike. */
export interface BuildRecord {
  /** Full commit hash, or null when the tree was not a git checkout. */
  commit: string | null;
  /** The commit's date (ISO 8601), or null. */
  commitDate: string | null;
  /** Whether tracked files differed from the commit. */
  dirty: boolean;
}

export interface BuildInfo extends BuildRecord {
  version: string;
  /** build: from the file the build wrote; git: asked at run time (a clone's sources); none: neither. */
  source: 'build' | 'git' | 'none';
  node: string;
  platform: string;
}

const RECORD = fileURLToPath(new URL('./build-info.json', import.meta.url));

/** The commit of the git checkout holding `dir`, or undefined when git or the checkout is not there. */
export function gitRecord(dir: string): BuildRecord | undefined {
  const git = (...args: string[]) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const head = git('log', '-1', '--format=%H %cI');
  if (head.status !== 0 || !head.stdout.trim()) return undefined;
  const [commit, commitDate] = head.stdout.trim().split(' ') as [string, string];
  const status = git('status', '--porcelain', '--untracked-files=no');
  return { commit, commitDate, dirty: status.status === 0 && status.stdout.trim() !== '' };
}

/** What `npm run build` does after compiling: records the commit of the checkout at `root` in `file`. */
export function writeBuildRecord(root: string, file: string): BuildRecord {
  const record = gitRecord(root) ?? { commit: null, commitDate: null, dirty: false };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

function readRecord(file: string): BuildRecord | undefined {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<BuildRecord>;
  return { commit: r.commit ?? null, commitDate: r.commitDate ?? null, dirty: r.dirty ?? false };
}

export function buildInfo(file = RECORD): BuildInfo {
  const built = readRecord(file);
  const fromGit = built ? undefined : gitRecord(dirname(file));
  const record = built ?? fromGit ?? { commit: null, commitDate: null, dirty: false };
  return { version: VERSION, ...record, source: built ? 'build' : fromGit ? 'git' : 'none', node: process.version, platform: `${process.platform}/${process.arch}` };
}

/** "mcsync 0.1.0 (commit 0123456789ab, 2026-12-06T11:07:06Z, Node.js v24.21.0 linux/x64)": what --version prints. */
export function versionLine(b: BuildInfo): string {
  const commit = b.commit ? `commit ${b.commit.slice(0, 12)}${b.dirty ? ' with local changes' : ''}, ${b.commitDate}` : 'commit unknown';
  return `mcsync ${b.version} (${commit}, Node.js ${b.node} ${b.platform})`;
}
