// Builds the data plane's exec server (exec-server/, a small Go module on Kubernetes' own
// streaming code) once per version of its sources: the binary is cached under
// ~/.cache/mcsync/exec-server/<hash of the sources>/, so an unchanged server is never rebuilt.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, runBuildScript } from '../../controlplane/components.ts';

const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'exec-server');
const BINARY = 'exec-server';

export function execServerSourceHash(dir = SOURCE_DIR): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** The exec server's path, building it (seconds with a warm Go module cache) when missing. */
export async function ensureExecServer(onProgress?: (line: string) => void): Promise<string> {
  const dir = join(cacheRoot(), 'exec-server', execServerSourceHash());
  const binary = join(dir, BINARY);
  if (existsSync(binary)) return binary;
  const work = join(dir, 'src');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(SOURCE_DIR, work, { recursive: true });
  onProgress?.(`building the data plane's exec server into ${dir}`);
  await runBuildScript(['go', 'build', '-C', work, '-trimpath', '-ldflags', '-s -w', '-o', `${binary}.tmp`, '.'],
    { CGO_ENABLED: '0', GOFLAGS: '-mod=mod' }, join(dir, 'build.log'), 'the exec server');
  renameSync(`${binary}.tmp`, binary);
  rmSync(work, { recursive: true, force: true });
  return binary;
}
