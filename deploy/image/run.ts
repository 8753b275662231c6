// Runs the image with podman the way a hardened pod runs it: read-only root with no tmpfs
// anywhere (readOnlyRootFilesystem without an emptyDir), the non-root user, no capabilities,
// no privilege escalation. Files are mounted read-only at the paths given.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { IMAGE_NAME, USER } from './spec.ts';
import { podmanGlobalArgs, podmanRunArgs } from './tools.ts';

export interface Mount {
  host: string;
  container: string;
}

export function podmanRunCommand(args: string[], opts: { mounts?: Mount[]; name?: string } = {}): string[] {
  return [...podmanGlobalArgs(), 'run', '--rm', ...podmanRunArgs(),
    ...(opts.name ? ['--name', opts.name] : []),
    '--read-only', '--read-only-tmpfs=false', '--user', USER, '--cap-drop=all', '--security-opt=no-new-privileges',
    // The harness apiservers listen on the host's loopback.
    '--network=host',
    ...(opts.mounts ?? []).flatMap((m) => ['--volume', `${m.host}:${m.container}:ro`]),
    IMAGE_NAME, ...args];
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
