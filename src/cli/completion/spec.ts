// What shell completion knows, read from the command tree itself, so a new command, option
// or output format is completed without anyone remembering to list it here.
import type { Command, Option } from 'commander';

export interface OptionSpec {
  /** Every spelling: `-o`, `--output`. */
  flags: string[];
  description: string;
  takesValue: boolean;
  /** The accepted values, when there is a fixed list (commander choices). */
  values?: string[];
  /** The value is a path: the shell completes file names. */
  file: boolean;
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** The values its positional argument takes (`completion bash|zsh`, `help COMMAND`); most take none. */
  values: string[];
}

export interface CompletionSpec {
  /** The command the script completes. */
  program: string;
  /** Options before the command; none of them takes a value. */
  options: OptionSpec[];
  commands: CommandSpec[];
}

const HELP: OptionSpec = { flags: ['-h', '--help'], description: 'display help for command', takesValue: false, file: false };

function optionSpec(o: Option): OptionSpec {
  return {
    flags: [o.short, o.long].filter((f): f is string => f !== undefined),
    description: o.description,
    takesValue: o.required || o.optional,
    ...(o.argChoices ? { values: [...o.argChoices] } : {}),
    file: /<file>|\[file\]/.test(o.flags),
  };
}

const visible = (options: readonly Option[]) => options.filter((o) => !o.hidden).map(optionSpec);

export function completionSpec(program: Command, name = 'mcsync'): CompletionSpec {
  const commands: CommandSpec[] = program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    options: [...visible(c.options), HELP],
    values: [...(c.registeredArguments[0]?.argChoices ?? [])],
  }));
  // commander's own `help [command]`, which it adds only while parsing.
  commands.push({ name: 'help', description: 'display help for command', options: [], values: commands.map((c) => c.name) });
  return { program: name, options: [...visible(program.options), HELP], commands };
}
