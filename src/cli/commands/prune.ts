// `mcsync prune`: delete everything this instance owns in one cluster or all; the engine does the
// work, this renders its report.
import type { Command } from 'commander';
import { prune, pruneFailed } from '../../engine/prune.ts';
import { EXIT, type Io } from '../io.ts';
import { withClusterFilter, withCommon, type CommonOpts } from '../options.ts';
import { DATA_FORMATS, isData, parseFormat, red, render } from '../output.ts';
import { countWrites, pickColumns, writesTable, type WriteColumn } from '../render/writes.ts';
import { withClusters } from '../with-clusters.ts';

const COLUMNS: WriteColumn[] = ['deleted', 'skipped', 'failed'];

export function pruneCommand(program: Command, io: Io): void {
  const cmd = withCommon(program.command('prune'), DATA_FORMATS)
    .description('delete every replica mcsync owns, in one cluster or in all (objects it does not own are never touched)');
  withClusterFilter(cmd, 'only this cluster')
    .action(async (opts: CommonOpts & { cluster?: string }) => {
      const format = parseFormat(opts.output, DATA_FORMATS);
      await withClusters(opts, io, async ({ config, clusters }) => {
        const report = await prune(config, clusters, opts.cluster || undefined);
        const counts = countWrites(report.results, report.clusters);
        const failures = report.failures.map((f) => `${f.cluster}: ${f.error}`);
        if (isData(format)) io.out(render({ deleted: pickColumns(counts, COLUMNS), failures }, format));
        else {
          io.out(writesTable(counts, COLUMNS));
          for (const f of failures) io.out(red(`failed: ${f}`));
        }
        io.setExitCode(pruneFailed(report) ? EXIT.partial : EXIT.ok);
      }, { names: { '--cluster': opts.cluster }, only: opts.cluster || undefined });
    });
}
