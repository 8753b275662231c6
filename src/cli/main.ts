#!/usr/bin/env -S node --max-semi-space-size=8
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
// A controller that has stopped may still hold idle keep-alive sockets or timers of libraries;
// its exit code is decided, so do not wait for them.
if (process.argv[2] === 'run') process.exit(process.exitCode ?? 0);
