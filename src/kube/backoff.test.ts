import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EQUAL_JITTER, REFLECTOR_BACKOFF, backoffDelay, jittered } from './backoff.ts';

test('backoff doubles from its base, stays within its jitter range and never passes its ceiling', () => {
  assert.equal(backoffDelay(0, REFLECTOR_BACKOFF, () => 0), 250);
  assert.equal(backoffDelay(0, REFLECTOR_BACKOFF, () => 0.999999999), 499.99999975);
  assert.equal(backoffDelay(3, REFLECTOR_BACKOFF, () => 0), 2000);
  assert.equal(backoffDelay(20, REFLECTOR_BACKOFF, () => 0.999999999), 29_999.999985);
  assert.equal(backoffDelay(1, { baseMs: 100, maxMs: 150, jitter: [0.8, 1.2] }, () => 0.999), 150, 'the ceiling applies after the jitter');
  assert.equal(jittered(1000, EQUAL_JITTER, () => 0.5), 750);
});
