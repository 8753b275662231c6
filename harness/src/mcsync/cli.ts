// Runs the mcsync CLI as a user would (a separate process, from source), for tests and benchmarks.
import { writeFileSync } from 'node:fs';
import { scratchDir } from '../util/tempdir.ts';
import { join } from 'node:path';
import { runToEnd, type RunResult } from '../util/process.ts';
import { runtimeFlags } from './runtime-flags.ts';

/** MCSYNC_ENTRY picks what runs: the sources (default) or the built CLI (dist/src/cli/main.js), as benchmarks do. */
// Read at each start, not at import: a benchmark sets it after its imports are loaded.
const entry = () => process.env.MCSYNC_ENTRY ?? new URL('../../../src/cli/main.ts', import.meta.url).pathname;

export type { RunResult };

export function runMcsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runToEnd(process.execPath, [...runtimeFlags(entry()), entry(), ...args], { ...process.env, ...env, NO_COLOR: '1' });
}

/** Writes a config file to a fresh temp dir (removed when the test process exits) and returns its path. */
export function writeConfig(text: string, name = 'mcsync.yaml'): string {
  const dir = scratchDir('mcsync-config-');
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
