#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=25
import { nodeTooOld } from './node-version.ts';
import { invocation } from './invocation.ts';
import { slimClientNode } from '../kube/slim-client-node.ts';
import { CommanderError } from 'commander';
import { endOnClosedOutput } from './closed-output.ts';
import { EXIT, UsageError } from './io.ts';

endOnClosedOutput(process.stdout, process.stderr);

const tooOld = nodeTooOld(process.versions.node);
if (tooOld) {
  process.stderr.write(`error: ${tooOld}\n`);
  process.exit(1);
}
// Before anything imports client-node, so its generated API client is never loaded.
slimClientNode();
// Loaded only once the runtime is known to be new enough for its dependencies.
const { buildProgram } = await import('./program.ts');
// mcsync, kubectl-mcsync and kubectl_complete-mcsync are all this file.
const how = invocation(process.argv[1]);

try {
  if (how.mode === 'complete') {
    const { completeArgs } = await import('./completion/complete.ts');
    completeArgs(buildProgram(undefined, how.name), process.argv.slice(2));
  } else {
    await buildProgram(undefined, how.name).parseAsync(process.argv);
  }
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the problem and the help already; help and --version end with 0.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.partial;
  }
}
// A controller that has stopped may still hold idle keep-alive sockets or timers of libraries;
// its exit code is decided, so do not wait for them.
if (process.argv[2] === 'run') process.exit(process.exitCode ?? 0);
