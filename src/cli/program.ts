// The mcsync command tree: argument parsing, help text and rendering. main.ts owns the process.
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { closeAll, connectAll, connectAvailable, type ConnectFailure, type Connected } from '../engine/clusters.ts';
import type { ClusterHealth } from '../engine/controller.ts';
import { computePlan, sync, type PlanReport } from '../engine/sync.ts';
import { doctor, type CheckResult } from '../engine/doctor.ts';
import { readDestination } from '../kube/read.ts';
import { applyActions, type WriteResult } from '../kube/write.ts';
import { planPrune } from '../model/prune.ts';
import { computeStatus, type StatusRow } from '../model/status.ts';
import type { Action } from '../model/types.ts';
import { actionTarget } from '../model/actions.ts';
import { VERSION } from '../version.ts';
import { createLogger } from './log.ts';
import { parseListen, runController } from './run.ts';
import { dim, green, parseFormat, progress, red, render, table, yellow, type Format } from './output.ts';

/** Exit codes: 0 done, 1 some cluster failed (others were still synced), 2 bad config or unreachable cluster (nothing written). */
export const EXIT = { ok: 0, partial: 1, config: 2 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  setExitCode: (code: number) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  setExitCode: (c) => (process.exitCode = c),
};

interface CommonOpts {
  config?: string;
  clusterSvcCfgFile?: string;
  debug?: boolean;
  logLevel: string;
  output: string;
}

function withCommon(cmd: Command, formats: Format[]): Command {
  return cmd
    .option('-c, --config <file>', 'mcsync config file (YAML)')
    .addOption(new Option('--clusterSvcCfgFile <file>', 'the original automation\'s name for --config').hideHelp())
    .option('--debug', 'debug logging (same as --log-level debug)')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (logs go to stderr)', 'warn')
    .option('-o, --output <format>', `output format: ${formats.join(', ')}`, 'table');
}

async function withClusters<T>(
  opts: CommonOpts,
  io: Io,
  fn: (config: Config, clusters: Map<string, Connected>, log: Logger, unavailable: ConnectFailure[]) => Promise<T>,
  how: { allowUnreachable?: boolean } = {},
): Promise<T | undefined> {
  const file = opts.config ?? opts.clusterSvcCfgFile;
  if (!file) {
    io.err('error: --config FILE is required');
    io.setExitCode(EXIT.config);
    return undefined;
  }
  const log = createLogger(opts.debug ? 'debug' : opts.logLevel);
  let clusters: Map<string, Connected> | undefined;
  try {
    const config = loadConfig(file);
    let unavailable: ConnectFailure[] = [];
    if (how.allowUnreachable) {
      const fleet = await connectAvailable(config);
      clusters = fleet.connected;
      unavailable = fleet.unavailable;
      for (const { issue: i } of unavailable) log.warn({ file: i.file, line: i.line, field: i.field }, i.message);
    } else {
      clusters = await connectAll(config);
    }
    for (const c of clusters.values()) log.debug({ cluster: c.config.name, server: c.client.server, version: c.version }, 'connected');
    return await fn(config, clusters, log, unavailable);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`error: ${err.message}`);
      io.setExitCode(EXIT.config);
      return undefined;
    }
    throw err;
  } finally {
    if (clusters) closeAll(clusters);
  }
}

const name = actionTarget;
const kindOf = (a: Action) => a.ref.kind;

function planJson(report: PlanReport) {
  return {
    actions: report.plan.actions.map((a) => ({ cluster: a.cluster, verb: a.verb, kind: kindOf(a), name: name(a), reason: a.reason })),
    conflicts: report.plan.conflicts,
    excluded: report.excluded,
    failures: report.failures,
  };
}

function conflictLines(report: PlanReport): string[] {
  return report.plan.conflicts.map((c) => yellow(`conflict: ${c.cluster}: ${c.namespace}/${c.name}: ${c.message}`));
}

function failureLines(report: PlanReport): string[] {
  return report.failures.map((f) => red(`failed: cluster ${f.cluster} (${f.stage}): ${f.error}`));
}

function summarize(results: WriteResult[], clusters: string[]): string[][] {
  return clusters.map((cluster) => {
    const mine = results.filter((r) => r.action.cluster === cluster);
    const count = (pred: (r: WriteResult) => boolean) => String(mine.filter(pred).length);
    return [
      cluster,
      count((r) => r.outcome === 'done' && r.action.verb === 'create'),
      count((r) => r.outcome === 'done' && r.action.verb === 'update'),
      count((r) => r.outcome === 'done' && r.action.verb === 'delete'),
      count((r) => r.outcome === 'skipped'),
      count((r) => r.outcome === 'failed'),
    ];
  });
}

function stateCell(state: string): string {
  if (state === 'in-sync') return green(state);
  if (state === 'conflict' || state === 'unreachable') return red(state);
  return yellow(state);
}

function statusTable(rows: StatusRow[]): string {
  const lines: string[][] = [];
  for (const r of rows) {
    const base = [r.namespace, r.name, r.sources.join(','), `${r.endpoints.ready}/${r.endpoints.total}`];
    if (r.destinations.length === 0) lines.push([...base, dim('(none)'), '', '']);
    for (const d of r.destinations) lines.push([...base, d.cluster, stateCell(d.state), d.detail ?? '']);
  }
  return table(['NAMESPACE', 'SERVICE', 'SOURCES', 'READY/TOTAL', 'DESTINATION', 'STATE', 'DETAIL'], lines);
}

interface ControllerView {
  identity: string;
  leader: boolean;
  clusters: ClusterHealth[];
}

async function controllerStatus(url: string): Promise<ControllerView> {
  const target = `${url.replace(/\/+$/, '')}/status`;
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new Error(`cannot reach the controller at ${target}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new Error(`the controller at ${target} answered ${res.status}`);
  return (await res.json()) as ControllerView;
}

function controllerTable(v: ControllerView): string {
  const yes = (b: boolean, good = true) => (b === good ? green(String(b)) : red(String(b)));
  return `controller ${v.identity} (${v.leader ? 'leader' : 'standby'}):\n` + table(
    ['CLUSTER', 'CONNECTED', 'SYNCED', 'STALE', 'LAST SEEN', 'LAST ERROR'],
    v.clusters.map((c) => [c.cluster, yes(c.connected), yes(c.synced), yes(c.stale, false), c.lastSeen ?? '', c.lastError ?? '']),
  );
}

export function buildProgram(io: Io = defaultIo): Command {
  const program = new Command('mcsync')
    .description('Make Services of one Kubernetes cluster usable from every other cluster of a flat, NAT-less network')
    .version(VERSION, '-v, --version', 'print the mcsync version')
    .showHelpAfterError();

  withCommon(program.command('sync'), ['table', 'json'])
    .description('replicate every exported Service into its destination clusters once, and collect replicas whose source is gone')
    .action(async (opts: CommonOpts) => {
      const format = parseFormat(opts.output, ['table', 'json']);
      await withClusters(opts, io, async (config, clusters, log) => {
        let bar: ReturnType<typeof progress> | undefined;
        const report = await sync(config, clusters, {
          onPlan: (p) => {
            log.info({ actions: p.plan.actions.length, exports: p.exports.length }, 'plan computed');
            bar = progress(p.plan.actions.length, 'syncing');
          },
          onResult: (r) => {
            bar?.tick();
            const fields = { cluster: r.action.cluster, verb: r.action.verb, kind: kindOf(r.action), name: name(r.action), reason: r.action.reason, outcome: r.outcome, attempts: r.attempts };
            if (r.outcome === 'failed') log.error({ ...fields, error: r.detail }, 'write failed');
            else log.debug({ ...fields, detail: r.detail }, 'write');
          },
        });
        bar?.done();
        if (format === 'json') {
          io.out(render({ ...planJson(report), results: summarize(report.results, config.clusters.map((c) => c.name)).map(([cluster, created, updated, deleted, skipped, failed]) => ({ cluster, created: Number(created), updated: Number(updated), deleted: Number(deleted), skipped: Number(skipped), failed: Number(failed) })) }, 'json'));
        } else {
          io.out(table(['CLUSTER', 'CREATED', 'UPDATED', 'DELETED', 'SKIPPED', 'FAILED'], summarize(report.results, config.clusters.map((c) => c.name))));
          for (const l of [...conflictLines(report), ...failureLines(report)]) io.out(l);
          io.out(`${report.exports.length} export(s), ${report.results.filter((r) => r.outcome === 'done').length} write(s)`);
        }
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      });
    });

  withCommon(program.command('plan'), ['table', 'json'])
    .description('show what sync would create, update and delete in each cluster, changing nothing')
    .action(async (opts: CommonOpts) => {
      const format = parseFormat(opts.output, ['table', 'json']);
      await withClusters(opts, io, async (config, clusters) => {
        const report = await computePlan(config, clusters);
        if (format === 'json') {
          io.out(render(planJson(report), 'json'));
        } else if (report.plan.actions.length === 0) {
          io.out('nothing to do: every replica is in sync');
        } else {
          io.out(table(['CLUSTER', 'ACTION', 'KIND', 'NAME', 'REASON'], report.plan.actions.map((a) => [a.cluster, a.verb, kindOf(a), name(a), a.reason])));
        }
        if (format === 'table') for (const l of [...conflictLines(report), ...failureLines(report)]) io.out(l);
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      });
    });

  withCommon(program.command('status'), ['table', 'json', 'yaml'])
    .description('per exported Service: sources, ready endpoints and the state of each replica; with --controller, each cluster as a running `mcsync run` sees it')
    .option('--controller <url>', 'a running controller\'s address (its --listen), e.g. http://127.0.0.1:9090: adds connected / synced / stale per cluster')
    .action(async (opts: CommonOpts & { controller?: string }) => {
      const format = parseFormat(opts.output);
      await withClusters(opts, io, async (config, clusters, _log, unavailable) => {
        const report = await computePlan(config, clusters, unavailable);
        const rows = computeStatus(report);
        const controller = opts.controller ? await controllerStatus(opts.controller) : undefined;
        if (format === 'table') {
          io.out(rows.length ? statusTable(rows) : 'no exported services');
          if (controller) io.out(`\n${controllerTable(controller)}`);
          for (const l of failureLines(report)) io.out(l);
        } else {
          io.out(render({ services: rows, conflicts: report.plan.conflicts, failures: report.failures, ...(controller ? { controller } : {}) }, format));
        }
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      }, { allowUnreachable: true });
    });

  withCommon(program.command('prune'), ['table', 'json'])
    .description('delete every replica mcsync owns, in one cluster or in all (objects it does not own are never touched)')
    .option('--cluster <name>', 'only this cluster')
    .action(async (opts: CommonOpts & { cluster?: string }) => {
      const format = parseFormat(opts.output, ['table', 'json']);
      await withClusters(opts, io, async (config, clusters) => {
        const targets = config.clusters.filter((c) => !opts.cluster || c.name === opts.cluster);
        if (targets.length === 0) {
          io.err(`error: --cluster ${opts.cluster} is not in ${config.file}`);
          io.setExitCode(EXIT.config);
          return;
        }
        const results: WriteResult[] = [];
        const failures: string[] = [];
        await Promise.all(targets.map(async (c) => {
          const conn = clusters.get(c.name)!;
          try {
            const snapshot = await readDestination(conn.client, c.name, config.instance);
            results.push(...await applyActions(conn.client, planPrune(snapshot, config.instance), { instance: config.instance, concurrency: config.concurrency }));
          } catch (err) {
            failures.push(`${c.name}: ${(err as Error).message}`);
          }
        }));
        const rows = summarize(results, targets.map((c) => c.name));
        if (format === 'json') io.out(render({ deleted: rows.map(([cluster, , , deleted, skipped, failed]) => ({ cluster, deleted: Number(deleted), skipped: Number(skipped), failed: Number(failed) })), failures }, 'json'));
        else {
          io.out(table(['CLUSTER', 'DELETED', 'SKIPPED', 'FAILED'], rows.map((r) => [r[0]!, r[3]!, r[4]!, r[5]!])));
          for (const f of failures) io.out(red(`failed: ${f}`));
        }
        const anyFailed = failures.length > 0 || results.some((r) => r.outcome === 'failed');
        io.setExitCode(anyFailed ? EXIT.partial : EXIT.ok);
      });
    });

  withCommon(program.command('doctor'), ['table', 'json'])
    .description('check each cluster and the fleet for what mcsync needs: reachability, APIs, permissions, pod CIDR overlap, namespaces, orphaned replicas')
    .action(async (opts: CommonOpts) => {
      const format = parseFormat(opts.output, ['table', 'json']);
      await withClusters(opts, io, async (config, clusters, _log, unavailable) => {
        const report = await doctor(config, clusters, unavailable);
        if (format === 'json') {
          io.out(render(report, 'json'));
        } else {
          const paint: Record<CheckResult, (s: string) => string> = { pass: green, warn: yellow, fail: red, info: dim };
          io.out(table(['CHECK', 'SCOPE', 'RESULT', 'MESSAGE'], report.checks.map((c) => [c.name, c.scope, paint[c.result](c.result), c.message])));
          const s = report.summary;
          io.out(`${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.info} info`);
        }
        io.setExitCode(report.summary.fail > 0 ? EXIT.partial : EXIT.ok);
      }, { allowUnreachable: true });
    });

  program.command('run')
    .description('keep replicas current: watch every cluster and reconcile each change as it happens (controller mode)')
    .option('-c, --config <file>', 'mcsync config file (YAML)')
    .addOption(new Option('--clusterSvcCfgFile <file>', 'the original automation\'s name for --config').hideHelp())
    .option('--local-cluster <name>', 'pull mode: read every cluster, write only to this one (run one instance per cluster)')
    .option('--leader-elect', 'only the holder of a coordination.k8s.io Lease writes (see leaderElection in the config)')
    .option('--identity <id>', 'this instance\'s name in the Lease (default: host_pid_random)')
    .option('--listen <host:port>', '/metrics, /healthz, /readyz and /status', '127.0.0.1:9090')
    .option('--shutdown-timeout <seconds>', 'how long SIGTERM waits for writes in flight', '30')
    .option('--field-manager <name>', 'field manager recorded on every write (managedFields)', 'mcsync')
    .option('--no-watch-config', 'reload only on SIGHUP, not when the config file changes')
    .option('--debug', 'debug logging (same as --log-level debug)')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (logs go to stderr)', 'info')
    .action(async (opts: { config?: string; clusterSvcCfgFile?: string; localCluster?: string; leaderElect?: boolean; identity?: string; listen: string; shutdownTimeout: string; watchConfig: boolean; fieldManager: string; debug?: boolean; logLevel: string }) => {
      const file = opts.config ?? opts.clusterSvcCfgFile;
      if (!file) {
        io.err('error: --config FILE is required');
        io.setExitCode(EXIT.config);
        return;
      }
      const timeout = Number(opts.shutdownTimeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--shutdown-timeout must be a positive number of seconds, not "${opts.shutdownTimeout}"`);
      parseListen(opts.listen);
      const log = createLogger(opts.debug ? 'debug' : opts.logLevel);
      try {
        const code = await runController({
          file, log, localCluster: opts.localCluster, leaderElect: opts.leaderElect ?? false, identity: opts.identity,
          listen: opts.listen, shutdownTimeoutMs: timeout * 1000, watchConfig: opts.watchConfig, fieldManager: opts.fieldManager,
        });
        io.setExitCode(code);
      } catch (err) {
        if (err instanceof ConfigError) {
          io.err(`error: ${err.message}`);
          io.setExitCode(EXIT.config);
          return;
        }
        throw err;
      }
    });

  return program;
}
