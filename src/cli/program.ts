// The mcsync command tree. Commands arrive with the engine; this module owns argument parsing
// and help text, main.ts owns the process (exit codes, where output goes).
import { Command } from 'commander';
import { VERSION } from '../version.ts';

export function buildProgram(): Command {
  return new Command('mcsync')
    .description('Make Services of one Kubernetes cluster usable from every other cluster of a flat, NAT-less network')
    .version(VERSION, '-v, --version', 'print the mcsync version')
    .showHelpAfterError();
}
