// `mcsync completion bash|zsh`: prints a script that completes command names, options and
// their values (-o's formats among them) in that shell.
import { Argument, type Command } from 'commander';
import type { Io } from '../io.ts';
import { bashScript, zshScript } from '../completion/scripts.ts';
import { completionSpec } from '../completion/spec.ts';

const SHELLS = { bash: bashScript, zsh: zshScript } as const;

export function completionCommand(program: Command, io: Io): void {
  program.command('completion')
    .description('print a shell completion script: source <(mcsync completion bash), or zsh')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(Object.keys(SHELLS)))
    .action((shell: keyof typeof SHELLS) => {
      // The tree is complete by the time a command runs, so the script covers every command.
      io.out(SHELLS[shell](completionSpec(program)));
    });
}
