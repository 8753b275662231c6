// Builds the upstream Multi-Cluster Services conformance suite (kept unmodified in
// ../shared/third_party/mcs-api-conformance, its own Go module) into a test binary, once per
// version of its sources: the binary is cached under ~/.cache/mcsync/mcs-conformance/<hash>/,
// keyed by a hash of every source file, so an unchanged suite is never rebuilt. The sources are
// read-only in CI, so the build runs in a scratch copy next to the binary.
//
//   node harness/src/conformance/build.ts        builds (or finds) it and prints its path
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../controlplane/components.ts';
import { HarnessError } from '../util/errors.ts';
import { cmp } from '../../../src/model/canonical.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCE_IN_SHARED = join('shared', 'third_party', 'mcs-api-conformance');
export const BINARY_NAME = 'mcs-conformance.test';

/**
 * The suite's sources: MCSYNC_MCS_CONFORMANCE_SRC, else `shared/third_party/mcs-api-conformance`
 * beside the checkout or beside one of its parents (a git worktree may sit a level deeper).
 */
export function conformanceSourceDir(): string {
  const given = process.env.MCSYNC_MCS_CONFORMANCE_SRC;
  if (given) {
    if (!existsSync(join(given, 'go.mod'))) throw new HarnessError(`MCSYNC_MCS_CONFORMANCE_SRC=${given} holds no go.mod`);
    return resolve(given);
  }
  for (let dir = resolve(repoRoot, '..'); ; dir = dirname(dir)) {
    const candidate = join(dir, SOURCE_IN_SHARED);
    if (existsSync(join(candidate, 'go.mod'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new HarnessError(`the MCS conformance sources (${SOURCE_IN_SHARED}) are not beside ${repoRoot} or its parents; set MCSYNC_MCS_CONFORMANCE_SRC`);
}

/** Every regular file under `dir`, relative and in code-unit order. */
function filesOf(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesOf(dir, join(prefix, e.name)) : e.isFile() ? [join(prefix, e.name)] : []))
    .sort(cmp);
}

/** A hash of the sources: each file's path and content, so any edit, addition or removal changes it. */
export function sourceHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of filesOf(dir)) {
    h.update(`${f}\0${statSync(join(dir, f)).size}\0`);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

export function conformanceCacheDir(hash: string): string {
  return join(cacheRoot(), 'mcs-conformance', hash);
}

export interface BuildOptions {
  onProgress?: (line: string) => void;
}

/** The path of the suite's test binary, building it when the cache has none for these sources. */
export async function ensureConformanceBinary(opts: BuildOptions = {}): Promise<string> {
  const src = conformanceSourceDir();
  const dir = conformanceCacheDir(sourceHash(src));
  const binary = join(dir, BINARY_NAME);
  if (existsSync(binary)) return binary;

  const work = join(dir, 'src');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(src, work, { recursive: true });
  // The sources may be read-only; go may need to write go.sum in the copy.
  for (const f of filesOf(work)) chmodSync(join(work, f), 0o644);
  const logPath = join(dir, 'build.log');
  opts.onProgress?.(`building the MCS conformance suite from ${src} into ${dir} (minutes when cold); log: ${logPath}`);
  const log = createWriteStream(logPath, { flags: 'w' });
  const code = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn('go', ['test', '-c', '-o', `${binary}.tmp`, '.'], {
      cwd: work,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (err: NodeJS.ErrnoException) => reject(
      err.code === 'ENOENT' ? new HarnessError('Go is needed to build the MCS conformance suite but `go` is not on PATH') : err));
    child.on('close', (c) => resolvePromise(c ?? 1));
  });
  await new Promise<void>((r) => log.end(r));
  if (code !== 0) {
    const tail = readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
    throw new HarnessError(`building the MCS conformance suite failed (exit ${code}); last lines of ${logPath}:\n${tail}`);
  }
  renameSync(`${binary}.tmp`, binary);
  rmSync(work, { recursive: true, force: true });
  return binary;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  ensureConformanceBinary({ onProgress: (l) => process.stderr.write(`${l}\n`) }).then((path) => {
    process.stdout.write(`${path}\n`);
    process.stderr.write(`MCS conformance suite ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  }, (err: unknown) => {
    process.stderr.write(`error: ${err instanceof HarnessError ? err.message : (err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
