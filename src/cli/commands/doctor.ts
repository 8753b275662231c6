// `mcsync doctor`: the engine's checklist as a table, JSON or YAML; exit 1 on any failed check.
import type { Command } from 'commander';
import { doctor, FLEET, summarize, type CheckResult, type DoctorReport } from '../../engine/doctor/index.ts';
import { EXIT, type Io } from '../io.ts';
import { withClusterFilter, withCommon, type CommonOpts } from '../options.ts';
import { dim, green, isData, parseFormat, red, render, table, TABLE_FORMATS, yellow } from '../output.ts';
import { withClusters } from '../with-clusters.ts';

const paint: Record<CheckResult, (s: string) => string> = { pass: green, warn: yellow, fail: red, info: dim };

/** --cluster NAME: NAME's checks and the fleet's (which are about every cluster), counted again. */
function inCluster(report: DoctorReport, cluster: string | undefined): DoctorReport {
  if (!cluster) return report;
  const checks = report.checks.filter((c) => c.scope === cluster || c.scope === FLEET);
  return { checks, summary: summarize(checks) };
}

/** The wide table adds DETAIL: what a check found, as one line of JSON. */
function checksTable(report: DoctorReport, wide: boolean): string {
  return table(
    ['CHECK', 'SCOPE', 'RESULT', 'MESSAGE', ...(wide ? ['DETAIL'] : [])],
    report.checks.map((c) => [c.name, c.scope, paint[c.result](c.result), c.message, ...(wide ? [c.detail === undefined ? '' : JSON.stringify(c.detail)] : [])]),
  );
}

export function doctorCommand(program: Command, io: Io): void {
  const cmd = withCommon(program.command('doctor'), TABLE_FORMATS)
    .description('check each cluster and the fleet for what mcsync needs: reachability, APIs, permissions, pod CIDR overlap, namespaces, orphaned replicas')
    .option('--local-cluster <name>', 'pull mode, as `run --local-cluster`: write permissions are needed only in this cluster, which also holds the Lease unless leaderElection.cluster says otherwise');
  withClusterFilter(cmd, 'only this cluster\'s checks and the fleet\'s')
    .action(async (opts: CommonOpts & { localCluster?: string; cluster?: string }) => {
      const format = parseFormat(opts.output, TABLE_FORMATS);
      await withClusters(opts, io, async ({ config, clusters, unavailable, inventory }) => {
        const report = inCluster(await doctor(config, clusters, unavailable, { localCluster: opts.localCluster }, inventory), opts.cluster);
        if (isData(format)) {
          io.out(render(report, format));
        } else {
          io.out(checksTable(report, format === 'wide'));
          const s = report.summary;
          io.out(`${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.info} info`);
        }
        io.setExitCode(report.summary.fail > 0 ? EXIT.partial : EXIT.ok);
      }, { allowUnreachable: true, names: { '--cluster': opts.cluster, '--local-cluster': opts.localCluster } });
    });
}
