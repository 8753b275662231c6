// `mcsync status`: one row per exported Service and the state of each replica; with
// --controller, also each cluster as a running `mcsync run` reports it on /status.
import type { Command } from 'commander';
import type { ClusterHealth } from '../../engine/controller/health.ts';
import { status } from '../../engine/status.ts';
import type { StatusRow } from '../../model/status.ts';
import { EXIT, type Io } from '../io.ts';
import { withCommon, type CommonOpts } from '../options.ts';
import { dim, green, parseFormat, red, render, table, yellow } from '../output.ts';
import { failureLines } from '../render/plan.ts';
import { withClusters } from '../with-clusters.ts';

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

export function statusCommand(program: Command, io: Io): void {
  withCommon(program.command('status'), ['table', 'json', 'yaml'])
    .description('per exported Service: sources, ready endpoints and the state of each replica; with --controller, each cluster as a running `mcsync run` sees it')
    .option('--controller <url>', 'a running controller\'s address (its --listen), e.g. http://127.0.0.1:9090: adds connected / synced / stale per cluster')
    .action(async (opts: CommonOpts & { controller?: string }) => {
      const format = parseFormat(opts.output);
      await withClusters(opts, io, async ({ config, clusters, unavailable }) => {
        const report = await status(config, clusters, unavailable);
        const controller = opts.controller ? await controllerStatus(opts.controller) : undefined;
        if (format === 'table') {
          io.out(report.services.length ? statusTable(report.services) : 'no exported services');
          if (controller) io.out(`\n${controllerTable(controller)}`);
          for (const l of failureLines(report.failures)) io.out(l);
        } else {
          io.out(render({ services: report.services, conflicts: report.conflicts, failures: report.failures, ...(controller ? { controller } : {}) }, format));
        }
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      }, { allowUnreachable: true });
    });
}
