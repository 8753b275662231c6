// The options every one-shot command shares (config file, logging, output format).
import { Option, type Command } from 'commander';
import type { Format } from './output.ts';

export interface CommonOpts {
  config?: string;
  clusterSvcCfgFile?: string;
  debug?: boolean;
  logLevel: string;
  output: string;
}

export function withCommon(cmd: Command, formats: Format[]): Command {
  return cmd
    .option('-c, --config <file>', 'mcsync config file (YAML)')
    .addOption(new Option('--clusterSvcCfgFile <file>', 'the original automation\'s name for --config').hideHelp())
    .option('--debug', 'debug logging (same as --log-level debug)')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (logs go to stderr)', 'warn')
    .option('-o, --output <format>', `output format: ${formats.join(', ')}`, 'table');
}
