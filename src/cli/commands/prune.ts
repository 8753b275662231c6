// `mcsync prune`: delete this instance's replicas in one cluster or all; the engine does the
// work, this renders its report.
import type { Command } from 'commander';
import { prune, pruneFailed } from '../../engine/prune.ts';
import { EXIT, type Io } from '../io.ts';
import { withCommon, type CommonOpts } from '../options.ts';
import { parseFormat, red, render } from '../output.ts';
import { countWrites, pickColumns, writesTable, type WriteColumn } from '../render/writes.ts';
import { withClusters } from '../with-clusters.ts';

const COLUMNS: WriteColumn[] = ['deleted', 'skipped', 'failed'];

export function pruneCommand(program: Command, io: Io): void {
  withCommon(program.command('prune'), ['table', 'json'])
    .description('delete every replica mcsync owns, in one cluster or in all (objects it does not own are never touched)')
    .option('--cluster <name>', 'only this cluster')
    .action(async (opts: CommonOpts & { cluster?: string }) => {
      const format = parseFormat(opts.output, ['table', 'json']);
      await withClusters(opts, io, async ({ config, clusters }) => {
        if (opts.cluster && !config.clusters.some((c) => c.name === opts.cluster)) {
          io.err(`error: --cluster ${opts.cluster} is not in ${config.file}`);
          io.setExitCode(EXIT.config);
          return;
        }
        const report = await prune(config, clusters, opts.cluster || undefined);
        const counts = countWrites(report.results, report.clusters);
        const failures = report.failures.map((f) => `${f.cluster}: ${f.error}`);
        if (format === 'json') io.out(render({ deleted: pickColumns(counts, COLUMNS), failures }, 'json'));
        else {
          io.out(writesTable(counts, COLUMNS));
          for (const f of failures) io.out(red(`failed: ${f}`));
        }
        io.setExitCode(pruneFailed(report) ? EXIT.partial : EXIT.ok);
      });
    });
}
