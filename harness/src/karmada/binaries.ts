// Finds or builds Karmada's binaries, pinned to one release and built from its Go module through
// the module proxy (harness/build/build-karmada.sh), cached outside the repository like the
// Kubernetes components. A cached binary is used only while its Go build info names the pin.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, runBuildScript } from '../controlplane/components.ts';
import { HarnessError } from '../util/errors.ts';

export const KARMADA_VERSION = 'v1.18.2';
export const KARMADA_MODULE = 'github.com/karmada-io/karmada';

export type KarmadaBinary = 'karmada-webhook' | 'karmada-aggregated-apiserver' | 'karmada-controller-manager' | 'karmada-scheduler' | 'karmada-agent';
export const KARMADA_CONTROL_PLANE: KarmadaBinary[] = ['karmada-webhook', 'karmada-aggregated-apiserver', 'karmada-controller-manager', 'karmada-scheduler'];
/** What pull mode adds: karmada-agent, one per member (join.ts, joinPull). */
export const KARMADA_PULL: KarmadaBinary[] = [...KARMADA_CONTROL_PLANE, 'karmada-agent'];

const buildScript = resolve(dirname(fileURLToPath(import.meta.url)), '../../build/build-karmada.sh');

export function karmadaBuildDir(): string {
  return join(cacheRoot(), `karmada-${KARMADA_VERSION}`);
}

/**
 * Whether a binary was built from the pinned module. Its main package's module shows in the Go
 * build info as `mod <path> <version> <sum>`, tab-separated (what `go version -m` prints).
 */
export function builtFromPin(path: string): boolean {
  try {
    return readFileSync(path).includes(`${KARMADA_MODULE}\t${KARMADA_VERSION}\t`);
  } catch {
    return false;
  }
}

/** The module's own files (CRDs, webhook configuration) as the module cache holds them. */
export function karmadaModuleDir(): string {
  const out = spawnSync('go', ['mod', 'download', '-json', `${KARMADA_MODULE}@${KARMADA_VERSION}`], { encoding: 'utf8', cwd: karmadaBuildDir() });
  if (out.status !== 0) throw new HarnessError(`go mod download ${KARMADA_MODULE}@${KARMADA_VERSION} failed: ${out.stderr || out.stdout}`);
  const dir = (JSON.parse(out.stdout) as { Dir?: string }).Dir;
  if (!dir || !existsSync(dir)) throw new HarnessError(`the module cache has no directory for ${KARMADA_MODULE}@${KARMADA_VERSION}`);
  return dir;
}

/** Returns a path for every requested binary, building the missing ones once (minutes when cold). */
export async function ensureKarmada(wanted: KarmadaBinary[] = KARMADA_CONTROL_PLANE, onProgress?: (line: string) => void): Promise<Record<KarmadaBinary, string>> {
  const dir = karmadaBuildDir();
  const path = (b: KarmadaBinary) => join(dir, 'bin', b);
  const missing = wanted.filter((b) => !builtFromPin(path(b)));
  if (missing.length > 0) {
    mkdirSync(dir, { recursive: true });
    const logPath = join(dir, 'build.log');
    onProgress?.(`building ${missing.join(', ')} (Karmada ${KARMADA_VERSION}) into ${dir}; log: ${logPath}`);
    await runBuildScript(['nice', '-n', '15', 'bash', buildScript, ...missing], { MCSYNC_BUILD_DIR: dir, KARMADA_VERSION }, logPath, missing.join(', '));
    for (const b of missing) if (!builtFromPin(path(b))) throw new HarnessError(`${path(b)} was built but its build info does not name ${KARMADA_MODULE} ${KARMADA_VERSION}`);
  }
  return Object.fromEntries(wanted.map((b) => [b, path(b)])) as Record<KarmadaBinary, string>;
}
