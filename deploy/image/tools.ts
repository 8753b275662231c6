// Running the image tools (mmdebstrap, umoci, skopeo, podman), and the one place that says how
// podman is invoked on this machine, for the build and the tests alike.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export class ImageToolError extends Error {}

/** Runs a tool to its end; fails with its command line, exit status and stderr. */
export function tool(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new ImageToolError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new ImageToolError(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * podman's global options: none beyond Debian's defaults (overlay storage, cgroupfs, file
 * events) as root. MCSYNC_PODMAN_ARGS adds to them where a machine needs more, e.g.
 * `--storage-driver vfs`.
 */
export function podmanGlobalArgs(): string[] {
  return (process.env.MCSYNC_PODMAN_ARGS ?? '').split(/\s+/).filter(Boolean);
}

export function podman(args: string[]): string {
  return tool('podman', [...podmanGlobalArgs(), ...args]);
}

/**
 * A host with cgroup v1 controllers and a cgroup v2 hierarchy that holds one too (here: hugetlb
 * in /sys/fs/cgroup/unified). crun 1.8 refuses to start any container there, even with
 * --cgroups=disabled ("cgroups in hybrid mode not supported, drop all controllers from
 * cgroupv2"); runc runs them.
 */
function hybridCgroupsWithV2Controllers(): boolean {
  const f = '/sys/fs/cgroup/unified/cgroup.controllers';
  return existsSync(f) && readFileSync(f, 'utf8').trim() !== '';
}

function hardLimit(name: string): number | undefined {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? undefined : Number(hard);
}

/** Options for every `podman run` of the image, after `run`: the runtime and resource limits that work here. */
export function podmanRunArgs(): string[] {
  const args: string[] = [];
  if (process.env.MCSYNC_PODMAN_RUNTIME) args.push('--runtime', process.env.MCSYNC_PODMAN_RUNTIME);
  // Without runc, crun is left to fail, so its error says what is wrong with the host.
  else if (hybridCgroupsWithV2Controllers() && ['/usr/sbin/runc', '/usr/bin/runc'].some(existsSync)) args.push('--runtime', 'runc');
  // podman asks for 1048576 open files and more processes than a sandbox that withholds
  // CAP_SYS_RESOURCE lets the runtime set ("error setting rlimit … operation not permitted").
  // The caller's own limits can always be kept; for processes, kernel.pid_max is the most
  // conmon is left with here (32768, below this shell's 96365).
  const files = hardLimit('Max open files');
  if (files !== undefined) args.push('--ulimit', `nofile=${files}:${files}`);
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const procs = Math.min(hardLimit('Max processes') ?? pidMax, pidMax);
  args.push('--ulimit', `nproc=${procs}:${procs}`);
  return args;
}

export function cacheDir(): string {
  return process.env.MCSYNC_CACHE_DIR ?? join(homedir(), '.cache', 'mcsync');
}
