// The mcsync command tree; each command lives in commands/, main.ts owns the process.
import { Command, CommanderError } from 'commander';
import { buildInfo, versionLine } from './build-info.ts';
import { completionCommand } from './commands/completion.ts';
import { doctorCommand } from './commands/doctor.ts';
import { planCommand } from './commands/plan.ts';
import { pruneCommand } from './commands/prune.ts';
import { runCommand } from './commands/run.ts';
import { exportCommands } from './commands/export.ts';
import { statusCommand } from './commands/status.ts';
import { syncCommand } from './commands/sync.ts';
import { versionCommand } from './commands/version.ts';
import { processIo, type Io } from './io.ts';

/** `name`: what help and errors call the program, `kubectl mcsync` when kubectl runs it as its plugin. */
export function buildProgram(io: Io = processIo, name = 'mcsync'): Command {
  const program = new Command(name)
    .description('Make Services of one Kubernetes cluster usable from every other cluster of a flat, NAT-less network')
    // Not commander's .version(string): the commit is looked up only when asked for.
    .option('-v, --version', 'print the mcsync version and the commit it was built from')
    .showHelpAfterError()
    // Usage errors (unknown command or option, a value not among the choices) are thrown rather
    // than ending the process with commander's exit 1, which is a partial failure's code:
    // main.ts turns them into EXIT.usage. Set before the commands are added, which inherit it.
    .exitOverride();
  // Registration order is the order `mcsync --help` lists them in.
  program.on('option:version', () => {
    io.out(versionLine(buildInfo()));
    throw new CommanderError(0, 'commander.version', 'version printed');
  });
  syncCommand(program, io);
  planCommand(program, io);
  statusCommand(program, io);
  pruneCommand(program, io);
  doctorCommand(program, io);
  runCommand(program, io);
  exportCommands(program, io);
  versionCommand(program, io);
  completionCommand(program, io);
  return program;
}
