import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModes, ratioKey } from './peer-modes.ts';

test('--mode takes push, pull or both, in the order given, each once', () => {
  assert.deepEqual(parseModes('push'), ['push']);
  assert.deepEqual(parseModes('pull,push'), ['pull', 'push']);
  assert.deepEqual(parseModes('push, pull,push'), ['push', 'pull']);
  assert.throws(() => parseModes('agent'), /agent is neither push nor pull/);
  assert.throws(() => parseModes(''), /name push, pull/);
});

test('push ratios keep their old key; pull ratios name the mode', () => {
  assert.equal(ratioKey('push', 2), '2 consumer(s)');
  assert.equal(ratioKey('pull', 1), 'pull, 1 consumer(s)');
});
