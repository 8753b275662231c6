// `mcsync sync`: one replication pass, then a per-cluster summary of the writes.
import type { Command } from 'commander';
import { actionTarget } from '../../model/actions.ts';
import { sync } from '../../engine/sync.ts';
import { EXIT, type Io } from '../io.ts';
import { SKIP_UNAVAILABLE, withCommon, type CommonOpts } from '../options.ts';
import { DATA_FORMATS, isData, parseFormat, progress, render } from '../output.ts';
import { conflictLines, failureLines, planJson, policyProblemLines } from '../render/plan.ts';
import { countWrites, pickColumns, writesTable, type WriteColumn } from '../render/writes.ts';
import { guardLines, refusedSummary } from '../render/rejections.ts';
import { withClusters } from '../with-clusters.ts';

const COLUMNS: WriteColumn[] = ['created', 'updated', 'deleted', 'skipped', 'failed'];

export function syncCommand(program: Command, io: Io): void {
  // No --cluster: a sync applies the fleet's whole plan; `plan --cluster` shows one cluster's part.
  withCommon(program.command('sync'), DATA_FORMATS)
    .description('replicate every exported Service into its destination clusters once, and collect replicas whose source is gone')
    .option('--skip-unavailable', SKIP_UNAVAILABLE)
    .action(async (opts: CommonOpts & { skipUnavailable?: boolean }) => {
      const format = parseFormat(opts.output, DATA_FORMATS);
      await withClusters(opts, io, async ({ config, clusters, log, unavailable }) => {
        let bar: ReturnType<typeof progress> | undefined;
        const report = await sync(config, clusters, {
          unreachable: unavailable,
          onPlan: (p) => {
            log.info({ actions: p.plan.actions.length, exports: p.exports.length }, 'plan computed');
            bar = progress(p.plan.actions.length, 'syncing');
          },
          onResult: (r) => {
            bar?.tick();
            const fields = { cluster: r.action.cluster, verb: r.action.verb, kind: r.action.ref.kind, name: actionTarget(r.action), reason: r.action.reason, outcome: r.outcome, attempts: r.attempts };
            if (r.outcome === 'failed') log.error({ ...fields, error: r.detail }, 'write failed');
            else log.debug({ ...fields, detail: r.detail }, 'write');
          },
        });
        bar?.done();
        const counts = countWrites(report.results, config.clusters.map((c) => c.name));
        if (isData(format)) {
          io.out(render({ ...planJson(report), results: pickColumns(counts, COLUMNS) }, format));
        } else {
          io.out(writesTable(counts, COLUMNS));
          for (const l of [...conflictLines(report), ...policyProblemLines(report), ...guardLines(report), ...failureLines(report.failures)]) io.out(l);
          const refused = refusedSummary(report.rejected);
          io.out(`${report.exports.length} export(s), ${report.results.filter((r) => r.outcome === 'done').length} write(s)${refused ? `, ${refused}` : ''}`);
        }
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      }, { allowUnreachable: opts.skipUnavailable ?? false });
    });
}
