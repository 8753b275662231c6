// Runs the image with podman the way a hardened pod runs it: read-only root with no tmpfs
// anywhere (readOnlyRootFilesystem without an emptyDir), the non-root user, no capabilities,
// no privilege escalation. Files are mounted read-only at the paths given.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IMAGE_NAME, USER } from './spec.ts';
import { podmanGlobalArgs, podmanRunArgs } from './tools.ts';

export interface Mount {
  host: string;
  container: string;
}

/** The flags a hardened pod's container gets, whatever it runs. */
function hardenedRunFlags(opts: { mounts?: Mount[]; name?: string }): string[] {
  return [...podmanRunArgs(),
    ...(opts.name ? ['--name', opts.name] : []),
    '--read-only', '--read-only-tmpfs=false', '--user', USER, '--cap-drop=all', '--security-opt=no-new-privileges',
    // The harness apiservers listen on the host's loopback.
    '--network=host',
    ...(opts.mounts ?? []).flatMap((m) => ['--volume', `${m.host}:${m.container}:ro`])];
}

export function podmanRunCommand(args: string[], opts: { mounts?: Mount[]; name?: string } = {}): string[] {
  return [...podmanGlobalArgs(), 'run', '--rm', ...hardenedRunFlags(opts), IMAGE_NAME, ...args];
}

/** Runs the image to its end. */
export function runImage(args: string[], opts: { mounts?: Mount[]; entrypoint?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const cmd = podmanRunCommand(args, opts);
  if (opts.entrypoint) cmd.splice(cmd.indexOf(IMAGE_NAME), 0, '--entrypoint', opts.entrypoint);
  const r = spawnSync('podman', cmd, { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the image in the background, as `name`; stop it with stopContainer. */
export function startImage(name: string, args: string[], mounts: Mount[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn('podman', podmanRunCommand(args, { mounts, name }), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** SIGTERM, as the kubelet sends it; podman's own kill after `seconds` if it is ignored. */
export function stopContainer(name: string, seconds = 20): void {
  spawnSync('podman', [...podmanGlobalArgs(), 'stop', '--time', String(seconds), name], { encoding: 'utf8' });
}

/**
 * Why podman cannot start a container on this machine as the image's are started, word for
 * word, or undefined when it can. It runs `/bin/true` from a root of its own (the binary and the
 * libraries ldd names, copied into a scratch directory) with the flags the image gets. It does
 * not touch the image, so a broken image cannot pass for a machine that runs no containers: the
 * image test skips (or under CI fails) only on the machine's account.
 */
export function containerRuntimeUnusable(): string | undefined {
  const root = mkdtempSync(join(tmpdir(), 'mcsync-probe-rootfs-'));
  try {
    chmodSync(root, 0o755);
    const libs = spawnSync('ldd', ['/bin/true'], { encoding: 'utf8' });
    if (libs.error) return `ldd: ${libs.error.message}`;
    for (const file of ['/bin/true', ...(libs.stdout.match(/\/\S+/g) ?? [])]) {
      mkdirSync(join(root, dirname(file)), { recursive: true });
      copyFileSync(realpathSync(file), join(root, file));
    }
    const r = spawnSync('podman', [...podmanGlobalArgs(), 'run', '--rm', ...hardenedRunFlags({}), '--rootfs', root, '/bin/true'], { encoding: 'utf8', timeout: 120_000 });
    if (r.error) return r.error.message;
    return r.status === 0 ? undefined : r.stderr.trim() || `exit ${r.status}`;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
