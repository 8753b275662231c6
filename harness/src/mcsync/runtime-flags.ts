// The Node flags mcsync runs with are written once, in the CLI's shebang (src/cli/main.ts):
// the installed `mcsync` command uses them directly, the image's ENTRYPOINT repeats them (a
// test checks it does), and the harness starts mcsync with them, so tests and benchmarks measure
// the process users run rather than a bare `node`.
import { readFileSync } from 'node:fs';

export function runtimeFlags(entry: string): string[] {
  const first = readFileSync(entry, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env(?: -S)? node(?<flags>(?: \S+)*)$/.exec(first);
  if (!m) throw new Error(`${entry} does not start with a node shebang: ${first}`);
  return m.groups!.flags!.trim().split(' ').filter(Boolean);
}
