import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLabelValue, keyProblem } from './names.ts';

test('label keys: an optional DNS-subdomain prefix, then at most 63 characters starting and ending alphanumeric', () => {
  for (const ok of ['app', 'app.kubernetes.io/name', 'a_b-c.d', 'x'.repeat(63), `${'a'.repeat(253)}/x`]) assert.equal(keyProblem(ok), undefined, ok);
  assert.match(keyProblem('a/b/c')!, /more than one "\/"/);
  assert.match(keyProblem('Example.com/x')!, /prefix/);
  assert.match(keyProblem('/x')!, /prefix/);
  assert.match(keyProblem(`${'a'.repeat(254)}/x`)!, /prefix/);
  for (const bad of ['', '-x', 'x-', 'x'.repeat(64), 'a b']) assert.match(keyProblem(bad)!, /at most 63/, bad);
});

test('label values: empty, or at most 63 characters starting and ending alphanumeric', () => {
  for (const ok of ['', 'web', 'v1.2_3-x', 'x'.repeat(63)]) assert.ok(isLabelValue(ok), ok);
  for (const bad of ['-x', 'x.', 'x'.repeat(64), 'a/b', 'a b']) assert.ok(!isLabelValue(bad), bad);
});
