#!/usr/bin/env -S node --max-semi-space-size=8
import { nodeTooOld } from './node-version.ts';

const tooOld = nodeTooOld(process.versions.node);
if (tooOld) {
  process.stderr.write(`error: ${tooOld}\n`);
  process.exit(1);
}
// Loaded only once the runtime is known to be new enough for its dependencies.
const { buildProgram } = await import('./program.ts');

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
// A controller that has stopped may still hold idle keep-alive sockets or timers of libraries;
// its exit code is decided, so do not wait for them.
if (process.argv[2] === 'run') process.exit(process.exitCode ?? 0);
