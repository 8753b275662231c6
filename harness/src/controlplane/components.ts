// Finds or builds the real Kubernetes components the harness runs. Binaries come, in order,
// from MCSYNC_K8S_BIN_DIR, from PATH (only when their version matches the pin, so a stray old
// kubectl does not slip in), or from the per-version build cache, building it when missing.
// MCSYNC_K8S_VERSION picks the Kubernetes release (default: the newest one the tests pin);
// `oldest` names the oldest supported one, which `npm test` also runs the core tests against.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessError } from '../util/errors.ts';
import { kubernetesVersion } from './versions.ts';

export { DEFAULT_KUBERNETES_VERSION, OLDEST_KUBERNETES_VERSION } from './versions.ts';
/** The release to build and run, from MCSYNC_K8S_VERSION; read at each use so a bad value is a HarnessError where it is used. */
export const kubernetesRelease = () => kubernetesVersion(process.env.MCSYNC_K8S_VERSION);
export const COREDNS_VERSION = 'v1.14.7';
export const HELM_VERSION = 'v3.22.0';
/** The NetworkPolicy engine the data-plane policy tests enforce with (sigs.k8s.io/kube-network-policies). */
export const KUBE_NETWORK_POLICIES_VERSION = 'v1.1.1';
/** Stands in for kubelets when a set runs pods (sigs.k8s.io/kwok). */
export const KWOK_VERSION = 'v0.8.0';

export type Component =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kubectl'
  | 'kube-proxy'
  | 'coredns'
  | 'helm'
  | 'kube-network-policies'
  | 'kube-scheduler'
  | 'kwok';

/**
 * What a cluster needs; kube-proxy, CoreDNS and kube-network-policies are only for the
 * data-plane tests (the last only where a test enforces NetworkPolicies).
 */
export const CONTROL_PLANE: Component[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'];
export const DATA_PLANE: Component[] = ['kube-proxy', 'coredns', 'kube-network-policies'];
/** What a set started with `pods: true` runs on top of the control plane: Deployments become scheduled, Running pods. */
export const POD_LIFECYCLE: Component[] = ['kube-scheduler', 'kwok'];

/** Components versioned apart from Kubernetes. */
const OWN_VERSION: Component[] = ['coredns', 'helm', 'kube-network-policies', 'kwok'];

const buildScript = resolve(dirname(fileURLToPath(import.meta.url)), '../../build/build-components.sh');

export function cacheRoot(): string {
  return process.env.MCSYNC_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mcsync');
}

export function buildDir(): string {
  return join(cacheRoot(), `k8s-${kubernetesRelease()}`);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The version a binary reports, or undefined when it will not say. */
function reportedVersion(path: string, component: Component): string | undefined {
  const args = component === 'kubectl' ? ['version', '--client'] : component === 'coredns' ? ['-version'] : component === 'helm' ? ['version', '--short'] : ['--version'];
  const out = spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  return `${out.stdout ?? ''}${out.stderr ?? ''}`.trim() || undefined;
}

/**
 * kube-network-policies has no version flag; the Go build info inside the binary names the
 * module and version it was built from (as `go version -m` prints it), so that is what is checked.
 */
function builtFromModule(path: string, module: string, version: string): boolean {
  try {
    return readFileSync(path).includes(`${module}\t${version}\t`);
  } catch {
    return false;
  }
}

function matchesPin(path: string, component: Component): boolean {
  if (component === 'kube-network-policies') return builtFromModule(path, 'sigs.k8s.io/kube-network-policies', KUBE_NETWORK_POLICIES_VERSION);
  // kwok's --version prints a constant the build may not have set; its build info names the module version.
  if (component === 'kwok') return builtFromModule(path, 'sigs.k8s.io/kwok', KWOK_VERSION);
  const reported = reportedVersion(path, component) ?? '';
  if (component === 'etcd') return /etcd Version: 3\.(5|6|7)\./.test(reported);
  if (component === 'coredns') return reported.includes(COREDNS_VERSION.slice(1));
  if (component === 'helm') return reported.includes(HELM_VERSION);
  return reported.includes(kubernetesRelease());
}

/** Where each component would be taken from right now, without building anything. */
export function locate(component: Component): string | undefined {
  const given = process.env.MCSYNC_K8S_BIN_DIR;
  if (given) {
    const p = join(given, component);
    if (existsSync(p)) return p;
    // Bringing your own control plane need not mean bringing helm, the data-plane or pod pieces too.
    if (CONTROL_PLANE.includes(component)) return undefined;
  }
  const cached = join(buildDir(), 'bin', component);
  // The cache is keyed by the Kubernetes release; CoreDNS, helm, kube-network-policies and kwok have pins of their own, so a
  // cached one is used only while it still reports its pin (a changed pin rebuilds it).
  if (existsSync(cached) && (!OWN_VERSION.includes(component) || matchesPin(cached, component))) return cached;
  const found = onPath(component);
  if (found && matchesPin(found, component)) return found;
  return undefined;
}

export interface EnsureOptions {
  /** Called with progress lines for people (the build takes minutes when cold). */
  onProgress?: (line: string) => void;
}

/** Returns a path for every requested component, building the missing ones once. */
export async function ensureComponents(
  components: Component[],
  opts: EnsureOptions = {},
): Promise<Record<Component, string>> {
  const found = new Map<Component, string>();
  const missing: Component[] = [];
  for (const c of components) {
    const p = locate(c);
    if (p) found.set(c, p);
    else missing.push(c);
  }
  if (missing.length > 0) {
    if (process.env.MCSYNC_K8S_BIN_DIR && missing.some((c) => CONTROL_PLANE.includes(c))) {
      throw new HarnessError(
        `MCSYNC_K8S_BIN_DIR=${process.env.MCSYNC_K8S_BIN_DIR} lacks ${missing.join(', ')}; ` +
          'put those binaries there or unset it to build them from source',
      );
    }
    await build(missing, opts);
    for (const c of missing) found.set(c, join(buildDir(), 'bin', c));
  }
  return Object.fromEntries(found) as Record<Component, string>;
}

function goAvailable(): boolean {
  const out = spawnSync('go', ['version'], { encoding: 'utf8' });
  return out.status === 0;
}

async function build(missing: Component[], opts: EnsureOptions): Promise<void> {
  if (!goAvailable()) {
    throw new HarnessError(
      `Go is needed to build ${missing.join(', ')} from Kubernetes' own modules but \`go\` is not on PATH. ` +
        'Install Go (https://go.dev/doc/install or your distribution\'s golang package), ' +
        'or point MCSYNC_K8S_BIN_DIR at a directory holding these binaries.',
    );
  }
  const dir = buildDir();
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'build.log');
  opts.onProgress?.(
    `building ${missing.join(', ')} (Kubernetes ${kubernetesRelease()}) into ${dir}; ` +
      `a cold build takes several minutes, log: ${logPath}`,
  );
  await runBuildScript(['bash', buildScript, ...missing], {
    MCSYNC_BUILD_DIR: dir,
    K8S_VERSION: kubernetesRelease(),
    COREDNS_VERSION,
    HELM_VERSION,
    KNP_VERSION: KUBE_NETWORK_POLICIES_VERSION,
    KWOK_VERSION,
  }, logPath, missing.join(', '), (line) => {
    if (line.startsWith('building ')) opts.onProgress?.(line);
  });
}

/**
 * Runs a build script with its output appended to `logPath` and `env` added to this process's;
 * a failure throws with the log's last lines, naming `what` was being built. `onLine` sees
 * each line the script writes to stderr (its progress).
 */
export async function runBuildScript(command: string[], env: Record<string, string>, logPath: string, what: string, onLine?: (line: string) => void): Promise<void> {
  const log = createWriteStream(logPath, { flags: 'a' });
  const code = await new Promise<number>((done, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    if (onLine) child.stderr.on('data', (chunk: Buffer) => { for (const line of chunk.toString().split('\n')) onLine(line); });
    child.on('error', reject);
    child.on('close', (c) => done(c ?? 1));
  });
  await new Promise<void>((r) => log.end(r));
  if (code !== 0) {
    const tail = readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
    throw new HarnessError(`building ${what} failed (exit ${code}); last lines of ${logPath}:\n${tail}`);
  }
}
