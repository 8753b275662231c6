// `mcsync plan`: what sync would do, changing nothing.
import type { Command } from 'commander';
import { computePlan } from '../../engine/plan.ts';
import { EXIT, type Io } from '../io.ts';
import { withCommon, type CommonOpts } from '../options.ts';
import { parseFormat, render } from '../output.ts';
import { actionsTable, conflictLines, failureLines, planJson } from '../render/plan.ts';
import { withClusters } from '../with-clusters.ts';

export function planCommand(program: Command, io: Io): void {
  withCommon(program.command('plan'), ['table', 'json'])
    .description('show what sync would create, update and delete in each cluster, changing nothing')
    .action(async (opts: CommonOpts) => {
      const format = parseFormat(opts.output, ['table', 'json']);
      await withClusters(opts, io, async ({ config, clusters }) => {
        const report = await computePlan(config, clusters);
        if (format === 'json') {
          io.out(render(planJson(report), 'json'));
        } else if (report.plan.actions.length === 0) {
          io.out('nothing to do: every replica is in sync');
        } else {
          io.out(actionsTable(report.plan.actions));
        }
        if (format === 'table') for (const l of [...conflictLines(report), ...failureLines(report.failures)]) io.out(l);
        io.setExitCode(report.failures.length > 0 ? EXIT.partial : EXIT.ok);
      });
    });
}
