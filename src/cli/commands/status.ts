// `mcsync status`: one row per exported Service and the state of each replica; with
// --controller, also each cluster as a running `mcsync run` reports it on /status.
import type { Command } from 'commander';
import type { ClusterHealth } from '../../engine/controller/health.ts';
import type { RemovedCluster } from '../../engine/controller/manager.ts';
import { status } from '../../engine/status.ts';
import type { Conflict } from '../../model/conflicts.ts';
import type { SpannedPolicy } from '../../model/policy/types.ts';
import type { StatusRow } from '../../model/status.ts';
import { serviceKey } from '../../vocab/keys.ts';
import { EXIT, type Io } from '../io.ts';
import { withClusterFilter, withCommon, type CommonOpts } from '../options.ts';
import { dim, green, isData, parseFormat, red, render, table, TABLE_FORMATS, yellow } from '../output.ts';
import { failureLines } from '../render/plan.ts';
import { withClusters } from '../with-clusters.ts';
import { guardLines, refusedCount, refusedSummary } from '../render/rejections.ts';
import type { McsServiceState } from '../../model/mcs/fleet.ts';
import { clusterOrigins, originsTable } from '../render/origins.ts';
import { localityTable } from '../render/locality.ts';

function stateCell(state: string): string {
  if (state === 'in-sync') return green(state);
  if (state === 'conflict' || state === 'unreachable') return red(state);
  return yellow(state);
}

/**
 * The wide table adds CONFLICTS: every conflict of the Service in that destination, by kind
 * (DETAIL words only the one that decides the state).
 */
function statusTable(rows: StatusRow[], conflicts: readonly Conflict[], wide: boolean): string {
  const kinds = Map.groupBy(conflicts, (c) => `${c.cluster}|${serviceKey(c.namespace, c.name)}`);
  const lines: string[][] = [];
  for (const r of rows) {
    const base = [r.namespace, r.name, r.sources.join(','), `${r.endpoints.ready}/${r.endpoints.total}`];
    if (r.destinations.length === 0) lines.push([...base, dim('(none)'), '', ...(wide ? [''] : []), '']);
    for (const d of r.destinations) {
      const here = kinds.get(`${d.cluster}|${serviceKey(r.namespace, r.name)}`) ?? [];
      lines.push([...base, d.cluster, stateCell(d.state), ...(wide ? [[...new Set(here.map((c) => c.kind))].join(',')] : []), d.detail ?? '']);
    }
  }
  return table(['NAMESPACE', 'SERVICE', 'SOURCES', 'READY/TOTAL', 'DESTINATION', 'STATE', ...(wide ? ['CONFLICTS'] : []), 'DETAIL'], lines);
}

/** A spanned policy's state: invalid (nothing written), stale (a remote could not be read: as last written) or in-sync. */
function policyState(p: SpannedPolicy): { state: string; detail: string } {
  if (p.problem !== undefined) return { state: 'invalid', detail: p.problem };
  if (p.unavailable && p.unavailable.length > 0) return { state: 'stale', detail: `${p.unavailable.join(',')} unavailable: companions kept as last written` };
  return { state: 'in-sync', detail: '' };
}

function policyCell(state: string): string {
  if (state === 'in-sync') return green(state);
  return state === 'invalid' ? red(state) : yellow(state);
}

/** One row per spanned NetworkPolicy: where it is, the clusters it spans, remote peers and companions. */
function policiesTable(policies: readonly SpannedPolicy[]): string {
  return table(['CLUSTER', 'NAMESPACE', 'POLICY', 'REMOTES', 'PEERS', 'COMPANIONS', 'STATE', 'DETAIL'], policies.map((p) => {
    const { state, detail } = policyState(p);
    return [p.cluster, p.namespace, p.name, p.remotes.join(','), String(p.peers), p.companions.join(',') || dim('(none)'), policyCell(state), detail];
  }));
}

/** A multi-cluster service's state: invalid (no constituent can take part), conflict, not yet imported everywhere, or in-sync. */
export function importState(m: McsServiceState, written: readonly string[]): { state: string; detail: string } {
  if (m.exporters.length === 0) return { state: 'invalid', detail: m.invalid.map((i) => `${i.cluster}: ${i.reason} (${i.message})`).join('; ') };
  if (m.problems.length > 0) return { state: 'conflict', detail: m.problems.map((p) => `${p.cluster}: ${p.message}`).join('; ') };
  if (m.conflicts.length > 0) return { state: 'conflict', detail: m.conflicts.map((c) => `${c.reason}: ${c.message}`).join('; ') };
  const missing = written.filter((c) => !m.importedIn.includes(c));
  if (missing.length > 0) return { state: 'drift', detail: `no ServiceImport yet in ${missing.join(',')} (or its namespace is not there)` };
  const invalid = m.invalid.map((i) => `${i.cluster}: ${i.reason}`).join('; ');
  return { state: 'in-sync', detail: invalid ? `not valid: ${invalid}` : '' };
}

/** One row per multi-cluster service: who exports it, where it is imported, and its state. */
function importsTable(rows: readonly (McsServiceState & { state: string; detail: string })[]): string {
  return table(['NAMESPACE', 'SERVICE', 'EXPORTED BY', 'IMPORTED IN', 'STATE', 'DETAIL'], rows.map((m) =>
    [m.namespace, m.name, m.exporters.join(',') || dim('(none)'), m.importedIn.join(',') || dim('(none)'), stateCell(m.state), m.detail]));
}

/** --cluster NAME: the replicas in NAME, i.e. the exports it receives, and its conflicts. */
function inCluster(services: StatusRow[], conflicts: Conflict[], cluster: string | undefined): { services: StatusRow[]; conflicts: Conflict[] } {
  if (!cluster) return { services, conflicts };
  return {
    services: services.flatMap((r) => {
      const destinations = r.destinations.filter((d) => d.cluster === cluster);
      return destinations.length > 0 ? [{ ...r, destinations }] : [];
    }),
    conflicts: conflicts.filter((c) => c.cluster === cluster),
  };
}

interface ControllerView {
  identity: string;
  leader: boolean;
  clusters: ClusterHealth[];
  /** Clusters whose ClusterProfile was deleted while it runs (absent from older controllers). */
  removedClusters?: RemovedCluster[];
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

/** The wide table adds UNHEALTHY SINCE (when the cluster's current trouble began) and JOINED (when it joined the running controller). */
function controllerTable(v: ControllerView, wide: boolean): string {
  const yes = (b: boolean, good = true) => (b === good ? green(String(b)) : red(String(b)));
  const removed = (v.removedClusters ?? []).map((r) => `removed: ${r.cluster} at ${r.removedAt} (onRemove: ${r.onRemove}): ${r.kept}`);
  return `controller ${v.identity} (${v.leader ? 'leader' : 'standby'}):\n` + table(
    ['CLUSTER', 'CONNECTED', 'SYNCED', 'STALE', ...(wide ? ['UNHEALTHY SINCE', 'JOINED'] : []), 'LAST SEEN', 'LAST ERROR'],
    v.clusters.map((c) => [c.cluster, yes(c.connected), yes(c.synced), yes(c.stale, false), ...(wide ? [c.unhealthySince ?? '', c.joining ? 'joining' : c.joinedAt ?? ''] : []), c.lastSeen ?? '', c.lastError ?? '']),
  ) + (removed.length > 0 ? `\n${removed.join('\n')}` : '');
}

const onlyCluster = (v: ControllerView, cluster: string | undefined): ControllerView =>
  cluster ? { ...v, clusters: v.clusters.filter((c) => c.cluster === cluster) } : v;

export function statusCommand(program: Command, io: Io): void {
  const cmd = withCommon(program.command('status'), TABLE_FORMATS)
    .description('per exported Service: sources, ready endpoints and the state of each replica; with --controller, each cluster as a running `mcsync run` sees it')
    .option('--controller <url>', 'a running controller\'s address (its --listen), e.g. http://127.0.0.1:9090: adds connected / synced / stale per cluster');
  withClusterFilter(cmd, 'only the replicas in this cluster (every cluster is still read: its sources are elsewhere)')
    .action(async (opts: CommonOpts & { controller?: string; cluster?: string }) => {
      const format = parseFormat(opts.output, TABLE_FORMATS);
      await withClusters(opts, io, async ({ config, clusters, unavailable, inventory }) => {
        const report = await status(config, clusters, unavailable);
        // With an inventory, where each cluster came from and its profile's health.
        const origins = config.inventory ? clusterOrigins(config, new Set(clusters.keys())).filter((r) => !opts.cluster || r.cluster === opts.cluster) : undefined;
        const { services, conflicts } = inCluster(report.services, report.conflicts, opts.cluster);
        const policies = report.policies?.filter((p) => !opts.cluster || p.cluster === opts.cluster).map((p) => ({ ...p, ...policyState(p) }));
        const controller = opts.controller ? onlyCluster(await controllerStatus(opts.controller), opts.cluster) : undefined;
        const written = config.clusters.map((c) => c.name).filter((c) => clusters.has(c) && (!opts.cluster || c === opts.cluster));
        const imports = report.mcs
          ?.filter((m) => !opts.cluster || m.exporters.includes(opts.cluster) || m.importedIn.includes(opts.cluster) || m.invalid.some((i) => i.cluster === opts.cluster))
          .map((m) => ({ ...m, ...importState(m, written) }));
        const locality = report.locality.filter((l) => !opts.cluster || l.cluster === opts.cluster);
        if (isData(format)) {
          io.out(render({ services, conflicts, ...(locality.length > 0 ? { locality } : {}), failures: report.failures, rejected: report.rejected, refused: refusedCount(report.rejected), unguarded: report.unguarded, ...(policies ? { policies } : {}), ...(imports ? { imports } : {}), ...(controller ? { controller } : {}), ...(origins ? { clusters: origins, inventoryProblems: (inventory?.problems ?? []).map((p) => `${p.file}:${p.line}: ${p.field}: ${p.message}`) } : {}) }, format));
        } else {
          const wide = format === 'wide';
          io.out(services.length ? statusTable(services, conflicts, wide) : 'no exported services');
          if (policies) io.out(`\n${policies.length ? policiesTable(policies) : 'no NetworkPolicy names remote clusters'}`);
          if (imports) io.out(`\n${imports.length ? importsTable(imports) : 'no ServiceExport in any cluster'}`);
          if (locality.length > 0) io.out(`\nlocality tiers in use:\n${localityTable(locality)}`);
          if (controller) io.out(`\n${controllerTable(controller, wide)}`);
          if (origins) io.out(`\n${originsTable(origins, inventory)}`);
          for (const l of guardLines(report, opts.cluster)) io.out(l);
          for (const l of failureLines(report.failures)) io.out(l);
          const refused = refusedSummary(report.rejected.filter((r) => !opts.cluster || r.cluster === opts.cluster));
          if (refused) io.out(refused);
        }
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      }, { allowUnreachable: true, names: { '--cluster': opts.cluster } });
    });
}
