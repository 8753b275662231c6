// What `kubectl_complete-mcsync ARGS… WORD` prints: kubectl runs it to complete `kubectl mcsync`.
import type { Command } from 'commander';
import { processIo, type Io } from '../io.ts';
import { candidates } from './candidates.ts';
import { cobraCompletions } from './cobra.ts';
import { completionSpec } from './spec.ts';

export function completeArgs(program: Command, args: readonly string[], io: Io = processIo): void {
  io.out(cobraCompletions(candidates(completionSpec(program, program.name()), args)));
}
