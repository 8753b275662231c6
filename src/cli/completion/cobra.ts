// Candidates in the form kubectl reads from a plugin's completion executable (cobra's
// `__complete` protocol): one `value<TAB>description` a line, then `:<directive>`.
import type { Candidates } from './candidates.ts';

/** cobra.ShellCompDirective: 0 lets the shell complete file names, 4 (NoFileComp) does not. */
export const DIRECTIVE = { files: 0, noFiles: 4 } as const;

export function cobraCompletions(c: Candidates): string {
  const lines = c.words.map((w) => (w.description ? `${w.value}\t${w.description}` : w.value));
  return [...lines, `:${c.files ? DIRECTIVE.files : DIRECTIVE.noFiles}`].join('\n');
}
