#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=25
import { nodeTooOld } from './node-version.ts';
import { invocation } from './invocation.ts';
import { slimClientNode } from '../kube/slim-client-node.ts';
import { endOnClosedOutput } from './closed-output.ts';

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
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
// A controller that has stopped may still hold idle keep-alive sockets or timers of libraries;
// its exit code is decided, so do not wait for them.
if (process.argv[2] === 'run') process.exit(process.exitCode ?? 0);
