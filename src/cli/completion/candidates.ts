// What to offer for the word being completed, given the words before it: the one reading of
// the spec that `kubectl mcsync` completion answers with, and that the shell scripts repeat.
import type { CommandSpec, CompletionSpec, OptionSpec } from './spec.ts';

export interface Candidate {
  value: string;
  description?: string;
}

export interface Candidates {
  words: Candidate[];
  /** The word is a file name: let the shell complete paths. */
  files: boolean;
}

const NONE: Candidates = { words: [], files: false };

const starting = (cur: string, words: Candidate[]): Candidates => ({ words: words.filter((w) => w.value.startsWith(cur)), files: false });

/** Long spellings unless the word is a lone `-`, which asks for the short ones too. */
function flagCandidates(options: readonly OptionSpec[], cur: string): Candidates {
  const short = cur.startsWith('-') && !cur.startsWith('--');
  return starting(cur, options.flatMap((o) => o.flags.filter((f) => short || f.startsWith('--')).map((value) => ({ value, description: o.description }))));
}

function valueCandidates(option: OptionSpec, cur: string, prefix: string): Candidates {
  if (option.file) return { words: [], files: true };
  return starting(prefix + cur, (option.values ?? []).map((v) => ({ value: prefix + v })));
}

const commandCandidates = (commands: readonly CommandSpec[], cur: string) => starting(cur, commands.map((c) => ({ value: c.name, description: c.description })));

/** `args`: the words after the program's name; the last is the one being completed ('' for a new word). */
export function candidates(spec: CompletionSpec, args: readonly string[]): Candidates {
  const cur = args.at(-1) ?? '';
  const before = args.slice(0, -1);
  // No option before the command takes a value, so the first word that is not a flag is the command.
  const at = before.findIndex((w) => !w.startsWith('-'));
  if (at < 0) return cur.startsWith('-') ? flagCandidates(spec.options, cur) : commandCandidates(spec.commands, cur);
  const cmd = spec.commands.find((c) => c.name === before[at]);
  if (!cmd) return NONE;
  const takingValue = (flag: string | undefined) => cmd.options.find((o) => o.takesValue && flag !== undefined && o.flags.includes(flag));
  const prev = before.length - 1 > at ? before.at(-1) : undefined;
  const valueFor = takingValue(prev);
  if (valueFor) return valueCandidates(valueFor, cur, '');
  const eq = cur.indexOf('=');
  if (cur.startsWith('--') && eq > 0) {
    const option = takingValue(cur.slice(0, eq));
    return option ? valueCandidates(option, cur.slice(eq + 1), cur.slice(0, eq + 1)) : NONE;
  }
  const positional = before.slice(at + 1).some((w, i, ws) => !w.startsWith('-') && !takingValue(i === 0 ? undefined : ws[i - 1]));
  if (cmd.values.length > 0 && !cur.startsWith('-')) return positional ? NONE : starting(cur, cmd.values.map((value) => ({ value })));
  return flagCandidates(cmd.options, cur);
}
