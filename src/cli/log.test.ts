import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, defaultLogFormat, prettyLine } from './log.ts';

test('pretty: the level in words, the config position as config errors print it, the message, then the other fields', () => {
  const line = JSON.stringify({ level: 40, time: 't', app: 'mcsync', file: '/etc/mcsync.yaml', line: 3, field: 'clusters[0].kubeconfig', msg: 'cluster a cannot be reached' });
  assert.equal(prettyLine(line), 'warning: /etc/mcsync.yaml:3: clusters[0].kubeconfig: cluster a cannot be reached\n');
  const write = JSON.stringify({ level: 50, app: 'mcsync', msg: 'write failed', cluster: 'b', verb: 'create', error: 'a reason with spaces', attempts: 3 });
  assert.equal(prettyLine(write), 'error: write failed cluster=b verb=create error="a reason with spaces" attempts=3\n');
  const err = JSON.stringify({ level: 60, msg: 'boom', err: { type: 'Error', message: 'disk full', stack: 'Error: disk full\n    at x' } });
  assert.equal(prettyLine(err), 'fatal: boom err="disk full"\n', 'an error by its message, no stack');
  assert.equal(prettyLine(JSON.stringify({ level: 40, msg: 'w' }), true), '\u001b[33mwarning\u001b[0m: w\n', 'coloured only when asked');
  assert.equal(prettyLine('not json'), 'not json\n');
});

test('createLogger writes pretty lines to the stream it is given, JSON by default', () => {
  let out = '';
  const stderr = { write: (s: string) => (out += s), isTTY: false };
  createLogger('info', 'pretty', stderr).warn({ cluster: 'a' }, 'slow');
  assert.equal(out, 'warning: slow cluster=a\n');
  assert.equal(defaultLogFormat({ write: () => true, isTTY: true }), 'pretty');
  assert.equal(defaultLogFormat({ write: () => true }), 'json');
  assert.throws(() => createLogger('loud'), /--log-level must be one of/);
});
