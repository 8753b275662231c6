import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_WORKER_STUCK_MS } from '../engine/liveness.ts';
import { workerStuckAfterMs } from './run.ts';

test('MCSYNC_WORKER_STUCK_AFTER: a duration, the default when unset, an error naming it otherwise', () => {
  assert.equal(workerStuckAfterMs({}), DEFAULT_WORKER_STUCK_MS);
  assert.equal(workerStuckAfterMs({ MCSYNC_WORKER_STUCK_AFTER: '' }), DEFAULT_WORKER_STUCK_MS);
  assert.equal(workerStuckAfterMs({ MCSYNC_WORKER_STUCK_AFTER: '90s' }), 90_000);
  assert.equal(workerStuckAfterMs({ MCSYNC_WORKER_STUCK_AFTER: '15m' }), 900_000);
  for (const bad of ['0s', '-5s', 'soon', '10']) {
    assert.throws(() => workerStuckAfterMs({ MCSYNC_WORKER_STUCK_AFTER: bad }), new Error(`MCSYNC_WORKER_STUCK_AFTER must be a duration such as "90s" or "10m", not "${bad}"`));
  }
});
