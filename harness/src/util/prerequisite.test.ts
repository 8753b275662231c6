import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite, underCi } from './prerequisite.ts';

test('a present prerequisite skips nothing, in CI or not', () => {
  assert.equal(prerequisite('zsh', undefined, {}), false);
  assert.equal(prerequisite('zsh', false, { CI: 'true' }), false);
});

test('a missing prerequisite is a skip reason locally and an error naming it under CI', () => {
  assert.equal(prerequisite('zsh', 'not on PATH', {}), 'zsh: not on PATH');
  assert.equal(prerequisite('zsh', 'not on PATH', { CI: 'false' }), 'zsh: not on PATH');
  assert.throws(() => prerequisite('zsh', 'not on PATH', { CI: 'true' }), {
    name: 'HarnessError',
    message: 'missing prerequisite under CI=true: zsh: not on PATH (scripts/setup.sh provides it; CI fails rather than skip)',
  });
});

test('CI is any value but empty, 0 or false', () => {
  for (const CI of ['true', '1', 'yes', 'TRUE']) assert.equal(underCi({ CI }), true, CI);
  for (const CI of ['', '0', 'false', 'False', undefined]) assert.equal(underCi({ CI }), false, String(CI));
});
