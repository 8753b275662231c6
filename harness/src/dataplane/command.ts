// Runs the system tools the data plane is built with (ip, nft, iptables-save) and turns a
// failure into a HarnessError that names the command and quotes what it printed, so a sandbox
// that forbids a step says exactly which step and why.
import { spawnSync } from 'node:child_process';
import { HarnessError } from '../util/errors.ts';

export function run(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
  const out = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, timeout: 30_000 });
  if (out.error) {
    const code = (out.error as NodeJS.ErrnoException).code;
    if (opts.allowFail) return '';
    throw new HarnessError(code === 'ENOENT'
      ? `\`${cmd}\` is not installed; run scripts/setup.sh (it installs iproute2, nftables, iptables and conntrack)`
      : `${cmd} ${args.join(' ')}: ${out.error.message}`);
  }
  if (out.status !== 0) {
    if (opts.allowFail) return '';
    throw new HarnessError(`\`${cmd} ${args.join(' ')}\` failed (exit ${out.status}): ${(out.stderr || out.stdout).trim()}`);
  }
  return out.stdout;
}

/** `ip` with the given arguments, inside a network namespace when one is named. */
export function ip(ns: string | undefined, ...args: string[]): string {
  return run('ip', ns ? ['-n', ns, ...args] : args);
}

/** A command inside a network namespace (`ip netns exec`), for tools that have no -n flag. */
export function inNetns(ns: string, cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** Why this machine cannot build the data plane, or undefined when it can. */
export function dataPlaneUnsupported(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux, not ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'creating network namespaces, veth pairs and routes needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)';
  }
  for (const tool of ['ip', 'nft', 'iptables']) {
    const out = spawnSync(tool, ['-V'], { encoding: 'utf8' });
    if (out.error) return `\`${tool}\` is not installed; run scripts/setup.sh`;
  }
  return undefined;
}
