// `mcsync export NS/NAME --cluster C` and `mcsync unexport NS/NAME --cluster C`: a thin wrapper
// that writes or deletes the Multi-Cluster Services API's ServiceExport of one Service, so a
// user need not write the YAML. The importing is done by `mcsync run` (or `sync`) with `mcs: true`.
import type { Command } from 'commander';
import { deleteServiceExport, writeServiceExport } from '../../engine/exports.ts';
import { splitServiceKey } from '../../vocab/keys.ts';
import { isDnsLabel } from '../../vocab/names.ts';
import { EXIT, type Io } from '../io.ts';
import { withCommon, type CommonOpts } from '../options.ts';
import { DATA_FORMATS, isData, parseFormat, render, yellow } from '../output.ts';
import { withClusters } from '../with-clusters.ts';

type Opts = CommonOpts & { cluster: string };

function parseTarget(target: string, io: Io): { namespace: string; name: string } | undefined {
  const { namespace, name } = target.includes('/') ? splitServiceKey(target) : { namespace: 'default', name: target };
  if (!isDnsLabel(namespace) || !isDnsLabel(name)) {
    io.err(`error: ${JSON.stringify(target)} is not NAMESPACE/NAME of a Service`);
    io.setExitCode(EXIT.usage);
    return undefined;
  }
  return { namespace, name };
}

function exportSubcommand(program: Command, io: Io, verb: 'export' | 'unexport'): void {
  withCommon(program.command(`${verb} <namespace/name>`), DATA_FORMATS)
    .description(verb === 'export'
      ? 'export a Service to the clusterset: write its ServiceExport (Multi-Cluster Services API; needs mcs: true)'
      : 'stop exporting a Service: delete its ServiceExport; its imports go once no cluster exports it')
    .requiredOption('--cluster <name>', 'the cluster the Service is in')
    .action(async (target: string, opts: Opts) => {
      const format = parseFormat(opts.output, DATA_FORMATS);
      const where = parseTarget(target, io);
      if (!where) return;
      await withClusters(opts, io, async ({ config, clusters }) => {
        const client = clusters.get(opts.cluster)!.client;
        const r = verb === 'export' ? await writeServiceExport(client, where.namespace, where.name) : await deleteServiceExport(client, where.namespace, where.name);
        const id = `${where.namespace}/${where.name} in ${opts.cluster}`;
        if (isData(format)) io.out(render({ cluster: opts.cluster, ...where, ...r }, format));
        else if (r.outcome === 'exported') io.out(`exported ${id}${r.serviceExists ? '' : yellow(' (no such Service yet: its export stays not Valid until there is one)')}`);
        else if (r.outcome === 'already-exported') io.out(`${id} was already exported: ${(r.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(' ') || 'no conditions yet'}`);
        else if (r.outcome === 'unexported') io.out(`unexported ${id}`);
        else io.out(`${id} was not exported`);
        if (!config.mcs && !isData(format)) io.err(yellow(`note: ${config.file} does not say mcs: true, so no mcsync instance with it imports ServiceExports`));
        io.setExitCode(EXIT.ok);
      }, { names: { '--cluster': opts.cluster }, only: opts.cluster });
    });
}

export function exportCommands(program: Command, io: Io): void {
  exportSubcommand(program, io, 'export');
  exportSubcommand(program, io, 'unexport');
}
