// `mcsync plan`: what sync would do, changing nothing.
import type { Command } from 'commander';
import { computePlan, type PlanReport } from '../../engine/plan.ts';
import { EXIT, type Io } from '../io.ts';
import { SKIP_UNAVAILABLE, withClusterFilter, withCommon, type CommonOpts } from '../options.ts';
import { isData, parseFormat, render, TABLE_FORMATS } from '../output.ts';
import { actionsTable, conflictLines, failureLines, planJson, policyProblemLines } from '../render/plan.ts';
import { guardLines, refusedSummary } from '../render/rejections.ts';
import { withClusters } from '../with-clusters.ts';

/**
 * --cluster NAME: the writes into NAME and the conflicts there. Read failures and excluded
 * Services stay: they are about sources, and they shape what NAME receives.
 */
function inCluster(report: PlanReport, cluster: string | undefined): PlanReport {
  if (!cluster) return report;
  const plan = { actions: report.plan.actions.filter((a) => a.cluster === cluster), conflicts: report.plan.conflicts.filter((c) => c.cluster === cluster) };
  return { ...report, plan };
}

export function planCommand(program: Command, io: Io): void {
  const cmd = withCommon(program.command('plan'), TABLE_FORMATS)
    .description('show what sync would create, update and delete in each cluster, changing nothing');
  withClusterFilter(cmd, 'only the writes into this cluster (every cluster is still read: its sources are elsewhere)')
    .option('--skip-unavailable', SKIP_UNAVAILABLE)
    .action(async (opts: CommonOpts & { cluster?: string; skipUnavailable?: boolean }) => {
      const format = parseFormat(opts.output, TABLE_FORMATS);
      await withClusters(opts, io, async ({ config, clusters, unavailable }) => {
        const report = inCluster(await computePlan(config, clusters, unavailable), opts.cluster);
        if (isData(format)) {
          io.out(render(planJson(report), format));
        } else {
          io.out(report.plan.actions.length === 0 ? 'nothing to do: every replica is in sync' : actionsTable(report.plan.actions, format === 'wide'));
          for (const l of [...conflictLines(report), ...policyProblemLines(report), ...guardLines(report), ...failureLines(report.failures)]) io.out(l);
          const refused = refusedSummary(report.rejected);
          if (refused) io.out(`${refused}: not replicated`);
        }
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      }, { names: { '--cluster': opts.cluster }, allowUnreachable: opts.skipUnavailable ?? false });
    });
}
