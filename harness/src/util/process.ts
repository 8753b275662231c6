// Runs a component as a child process that cannot outlive us: each one is started through
// `setpriv --pdeathsig KILL`, so if this process dies (even by SIGKILL) the kernel kills the
// child too, and it leads its own process group so a stop reaches anything it forked.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { HarnessError } from './errors.ts';

export interface Supervised {
  name: string;
  pid: number;
  logPath: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
  running(): boolean;
}

const useSetpriv = existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv');

export function startProcess(name: string, binary: string, args: string[], logPath: string, env: NodeJS.ProcessEnv = {}): Supervised {
  const fd = openSync(logPath, 'a');
  const [cmd, argv] = useSetpriv ? ['setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, args];
  const child = spawn(cmd, argv, {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new HarnessError(`could not start ${name} (${binary})`);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', () => {
      done = true;
      resolve('spawn-error');
    });
  });
  const pid = child.pid;
  return {
    name,
    pid,
    logPath,
    child,
    exited,
    running: () => !done,
    async stop(graceMs = 10_000) {
      if (done) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Anything the component forked goes with it.
      signalGroup(pid, 'SIGKILL');
    },
  };
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** True while the process runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The last lines of a component's log, for error messages. */
export function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short command to its end and collects what it printed (for CLIs and probes, not components). */
export function runToEnd(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
