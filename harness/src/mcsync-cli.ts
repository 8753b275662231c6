// Runs the mcsync CLI as a user would (a separate process, from source), for tests and benchmarks.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { scratchDir } from './tempdir.ts';
import { join } from 'node:path';
import { runtimeFlags } from './runtime-flags.ts';

/** MCSYNC_ENTRY picks what runs: the sources (default) or the built CLI (dist/src/cli/main.js), as benchmarks do. */
const main = process.env.MCSYNC_ENTRY ?? new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runMcsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...runtimeFlags(main), main, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Writes a config file to a fresh temp dir (removed when the test process exits) and returns its path. */
export function writeConfig(text: string, name = 'mcsync.yaml'): string {
  const dir = scratchDir('mcsync-config-');
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
