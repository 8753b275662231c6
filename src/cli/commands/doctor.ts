// `mcsync doctor`: the engine's checklist as a table or JSON; exit 1 on any failed check.
import type { Command } from 'commander';
import { doctor, type CheckResult } from '../../engine/doctor/index.ts';
import { EXIT, type Io } from '../io.ts';
import { withCommon, type CommonOpts } from '../options.ts';
import { dim, green, parseFormat, red, render, table, yellow } from '../output.ts';
import { withClusters } from '../with-clusters.ts';

const paint: Record<CheckResult, (s: string) => string> = { pass: green, warn: yellow, fail: red, info: dim };

export function doctorCommand(program: Command, io: Io): void {
  withCommon(program.command('doctor'), ['table', 'json'])
    .description('check each cluster and the fleet for what mcsync needs: reachability, APIs, permissions, pod CIDR overlap, namespaces, orphaned replicas')
    .option('--local-cluster <name>', 'pull mode, as `run --local-cluster`: write permissions are needed only in this cluster, which also holds the Lease unless leaderElection.cluster says otherwise')
    .action(async (opts: CommonOpts & { localCluster?: string }) => {
      const format = parseFormat(opts.output, ['table', 'json']);
      await withClusters(opts, io, async ({ config, clusters, unavailable }) => {
        const report = await doctor(config, clusters, unavailable, { localCluster: opts.localCluster });
        if (format === 'json') {
          io.out(render(report, 'json'));
        } else {
          io.out(table(['CHECK', 'SCOPE', 'RESULT', 'MESSAGE'], report.checks.map((c) => [c.name, c.scope, paint[c.result](c.result), c.message])));
          const s = report.summary;
          io.out(`${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.info} info`);
        }
        io.setExitCode(report.summary.fail > 0 ? EXIT.partial : EXIT.ok);
      }, { allowUnreachable: true });
    });
}
