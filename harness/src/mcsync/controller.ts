// `mcsync run` as a child process, for integration tests and benchmarks: its JSON logs parsed as they come,
// its /status and /metrics read over loopback, and signals sent the way an orchestrator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../util/wait.ts';
import { runtimeFlags } from './runtime-flags.ts';

/** MCSYNC_ENTRY picks what runs: the sources (default) or the built CLI (dist/src/cli/main.js), as benchmarks do. */
// Read at each start, not at import: a benchmark sets it after its imports are loaded.
const entry = () => process.env.MCSYNC_ENTRY ?? new URL('../../../src/cli/main.ts', import.meta.url).pathname;

export interface LogLine {
  msg?: string;
  level?: number;
  [k: string]: unknown;
}

export class RunningController {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  raw = '';
  port = 0;
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    // MCSYNC_NODE_OPTIONS reaches only the controller, e.g. a heap cap as a pod's memory limit
    // would set. It goes after mcsync's own flags so it can override them: V8 takes the last
    // value, and --max-semi-space-size=0 gives back Node's default.
    const extra = (process.env.MCSYNC_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
    this.child = spawn(process.execPath, [...runtimeFlags(entry()), ...extra, entry(), 'run', '--listen', '127.0.0.1:0', '--log-level', 'debug', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      this.raw += d.toString();
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as LogLine;
          this.logs.push(parsed);
          if (parsed.msg === 'mcsync run started') this.port = Number(String(parsed.listen).split(':').pop());
        } catch {
          // not a log line (e.g. a usage error); kept in raw
        }
      }
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  async started(): Promise<this> {
    await waitFor(async () => this.port > 0 || (this.child.exitCode !== null && Promise.reject(new Error(`mcsync run exited ${this.child.exitCode}:\n${this.raw}`))), { what: 'mcsync run to listen', timeoutMs: 60_000 });
    return this;
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: res.status, text: await res.text() };
  }

  async status(): Promise<{ leader: boolean; clusters: { cluster: string; connected: boolean; synced: boolean; stale: boolean }[] }> {
    return JSON.parse((await this.get('/status')).text) as never;
  }

  async ready(): Promise<this> {
    await waitFor(async () => (await this.get('/readyz').catch(() => ({ status: 0 }))).status === 200, { what: 'mcsync run to be ready' });
    return this;
  }

  /** What the controller reports it has seen and done (/status progress). */
  async progress(): Promise<Progress> {
    return (JSON.parse((await this.get('/status')).text) as { progress: Progress }).progress;
  }

  /**
   * Waits for a positive sign that the controller has processed every change up to some
   * resourceVersions: each named watch has seen at least its mark, and no work is queued or
   * running. After this, "nothing more was written" is a fact, not a hope after a sleep.
   */
  async caughtUp(marks: WatchMark[], what: string): Promise<void> {
    await waitFor(async () => {
      const p = await this.progress();
      const seen = marks.every((m) => p.watches.some((w) => w.cluster === m.cluster && w.resource === m.resource && (m.selector === undefined || (w.labelSelector ?? '').includes(m.selector)) && newerOrEqual(w.resourceVersion, m.resourceVersion)));
      return seen && p.queued === 0 && p.inFlight === 0;
    }, { what: `the controller to have processed ${what}` });
  }

  count(msg: string, pred: (l: LogLine) => boolean = () => true): number {
    return this.logs.filter((l) => l.msg === msg && pred(l)).length;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export interface Progress {
  watches: { cluster: string; resource: string; path: string; labelSelector?: string; resourceVersion: string }[];
  queued: number;
  inFlight: number;
  resyncs: number;
}

/** A watch (cluster, resource, a part of its label selector) and the resourceVersion it must have seen. */
export interface WatchMark {
  cluster: string;
  resource: string;
  selector?: string;
  resourceVersion: string;
}

const newerOrEqual = (seen: string, mark: string) => /^\d+$/.test(seen) && /^\d+$/.test(mark) && BigInt(seen) >= BigInt(mark);

export function startController(args: string[]): Promise<RunningController> {
  return new RunningController(args).started();
}
