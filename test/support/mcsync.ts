// Assertions about mcsync CLI runs, shared by the integration tests.
import assert from 'node:assert/strict';
import type { RunResult } from '../../harness/src/mcsync/cli.ts';

/** Asserts the run exited 0, showing everything it printed when it did not. */
export function ok(r: RunResult): RunResult {
  assert.equal(r.code, 0, `mcsync exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}
