// `mcsync version`: the version and the commit it was built from, as a line or as data.
import { Option, type Command } from 'commander';
import { buildInfo, versionLine } from '../build-info.ts';
import type { Io } from '../io.ts';
import { DATA_FORMATS, isData, parseFormat, render } from '../output.ts';

export function versionCommand(program: Command, io: Io): void {
  program.command('version')
    .description('print the mcsync version, the commit it was built from and the Node.js running it')
    .addOption(new Option('-o, --output <format>', 'output format').choices(DATA_FORMATS).default('table'))
    .action((opts: { output: string }) => {
      const format = parseFormat(opts.output, DATA_FORMATS);
      const info = buildInfo();
      io.out(isData(format) ? render(info, format) : versionLine(info));
    });
}
