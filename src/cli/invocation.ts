// The one program answers to three executable names, all links to the same file: `mcsync`;
// `kubectl-mcsync`, which kubectl runs for `kubectl mcsync …` (its plugin convention: an
// executable named kubectl-<plugin> on PATH); and `kubectl_complete-mcsync`, which kubectl
// (1.26 and newer) runs to complete `kubectl mcsync …` on the command line.
import { basename } from 'node:path';

export const PLUGIN_EXECUTABLE = 'kubectl-mcsync';
export const PLUGIN_COMPLETION_EXECUTABLE = 'kubectl_complete-mcsync';

export interface Invocation {
  /** The name help and errors show: what the user typed to get here. */
  name: string;
  /** complete: print completion candidates for the arguments instead of running a command. */
  mode: 'command' | 'complete';
}

/** From the path the program was started by (process.argv[1]); npm's Windows shims add an extension. */
export function invocation(scriptPath: string | undefined): Invocation {
  const exe = basename(scriptPath ?? '').replace(/\.(c|m)?js$|\.cmd$|\.exe$/i, '');
  if (exe === PLUGIN_EXECUTABLE) return { name: 'kubectl mcsync', mode: 'command' };
  if (exe === PLUGIN_COMPLETION_EXECUTABLE) return { name: 'kubectl mcsync', mode: 'complete' };
  return { name: 'mcsync', mode: 'command' };
}
