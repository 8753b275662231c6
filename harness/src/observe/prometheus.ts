// A real Prometheus for tests: the server and promtool from Debian's prometheus package, which
// scripts/setup.sh unpacks into the cache (not installed, so no system service takes :9090).
// The server runs on a free loopback port with its config and TSDB in a scratch directory, and is
// started like a cluster component, so it cannot outlive the test process.
import { existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HarnessError } from '../util/errors.ts';
import { freePorts } from '../util/ports.ts';
import { logTail, runToEnd, startProcess, type RunResult, type Supervised } from '../util/process.ts';
import { scratchDir } from '../util/tempdir.ts';
import { waitFor } from '../util/wait.ts';

// The same root scripts/setup.sh unpacks into (it does not look at XDG_CACHE_HOME).
function prometheusRoot(): string {
  return join(process.env.MCSYNC_CACHE_DIR ?? join(homedir(), '.cache', 'mcsync'), 'prometheus');
}

/** Path of `prometheus` or `promtool`; a missing one is an error that says how to get it, never a skip. */
export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  const path = join(prometheusRoot(), 'usr', 'bin', name);
  if (!existsSync(path)) {
    throw new HarnessError(`${name} not found at ${path}: run scripts/setup.sh, which unpacks Debian's prometheus package there (MCSYNC_CACHE_DIR moves it)`);
  }
  return path;
}

export function promtool(args: string[]): Promise<RunResult> {
  return runToEnd(prometheusBinary('promtool'), args);
}

export interface PrometheusOptions {
  /** host:port of each target of the one scrape job. */
  targets: string[];
  job?: string;
  ruleFiles?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
}

/** One element of an instant vector from /api/v1/query. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  value: string;
}

export class RunningPrometheus {
  readonly url: string;
  private readonly proc: Supervised;

  constructor(url: string, proc: Supervised) {
    this.url = url;
    this.proc = proc;
  }

  private async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${res.status} ${body.error ?? ''}`);
    return body.data;
  }

  /** An instant query; an expression that is not an instant vector is an error. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not a vector`);
    return data.result;
  }

  /** The value of the one sample whose labels include `labels`, or undefined when there is none. */
  async valueOf(expr: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const hit = (await this.query(expr)).find((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));
    return hit ? Number(hit.value[1]) : undefined;
  }

  /** Alerts pending or firing right now. */
  async alerts(): Promise<Alert[]> {
    return (await this.api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
  }

  /** Scrape targets and their health, for error messages. */
  async targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]> {
    return (await this.api<{ activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }>('/api/v1/targets')).activeTargets;
  }

  log(lines = 20): string {
    return logTail(this.proc.logPath, lines);
  }

  stop(): Promise<void> {
    return this.proc.stop(5_000);
  }
}

export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = scratchDir('mcsync-prometheus-');
  const config = {
    global: { scrape_interval: o.scrapeInterval ?? '1s', evaluation_interval: o.evaluationInterval ?? '1s' },
    rule_files: o.ruleFiles ?? [],
    scrape_configs: [{ job_name: o.job ?? 'mcsync', static_configs: [{ targets: o.targets }] }],
  };
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, stringify(config));
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess('prometheus', prometheusBinary('prometheus'), [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], join(dir, 'prometheus.log'));
  const prom = new RunningPrometheus(url, proc);
  try {
    const how = await waitFor(async () => {
      if (!proc.running()) return 'exited';
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok && 'ready';
    }, { what: 'prometheus to be ready', timeoutMs: 30_000 });
    if (how === 'exited') throw new HarnessError('prometheus exited at start');
  } catch (err) {
    await prom.stop();
    throw new HarnessError(`${(err as Error).message}:\n${prom.log()}`);
  }
  return prom;
}
