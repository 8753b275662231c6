// The options every one-shot command shares (config file, logging, output format), and the
// --cluster filter of the commands whose output can be limited to one cluster.
import { Option, type Command } from 'commander';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat } from './log.ts';
import type { Format } from './output.ts';

export interface CommonOpts {
  config?: string;
  clusterSvcCfgFile?: string;
  debug?: boolean;
  logLevel: string;
  /** Unset: pretty when stderr is a terminal, json otherwise. */
  logFormat?: LogFormat;
  output: string;
}

// The value lists are commander choices, so a wrong value is a usage error naming the right
// ones, and shell completion offers exactly these.
export function withCommon(cmd: Command, formats: Format[]): Command {
  return cmd
    .option('-c, --config <file>', 'mcsync config file (YAML)')
    .addOption(new Option('--clusterSvcCfgFile <file>', 'the original automation\'s name for --config').hideHelp())
    .option('--debug', 'debug logging (same as --log-level debug)')
    .addOption(new Option('--log-level <level>', 'logs go to stderr').choices(LOG_LEVELS).default('warn'))
    .addOption(new Option('--log-format <format>', 'pretty: one short line each; json: pino JSON lines (default: pretty on a terminal, json otherwise)').choices(LOG_FORMATS))
    .addOption(new Option('-o, --output <format>', formats.includes('wide') ? 'output format (wide: the table with more columns)' : 'output format').choices(formats).default('table'));
}

/**
 * sync and plan refuse to start while any cluster cannot be reached (exit 2, nothing written);
 * with this flag they go ahead with the reachable clusters, and the unreachable ones are
 * unavailable to the planner exactly as in the controller: nothing they sourced is updated or
 * deleted anywhere, and nothing is written to them. Exit 1 then, naming them.
 */
export const SKIP_UNAVAILABLE = 'go ahead with the clusters that can be reached (exit 1): whatever an unreachable cluster sourced is kept as it is everywhere, and nothing is written to it';

export function withClusterFilter(cmd: Command, what: string): Command {
  return cmd.option('--cluster <name>', what);
}
