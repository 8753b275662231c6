import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLabelSelector, parseLabelSelector } from './selector.ts';

const matches = (sel: string, labels: Record<string, string>) => matchesLabelSelector(parseLabelSelector(sel), labels);

test('equality, inequality, set and existence requirements combine with AND', () => {
  const labels = { tier: 'web', env: 'prod', 'app.kubernetes.io/name': 'shop' };
  assert.ok(matches('tier=web', labels));
  assert.ok(matches('tier==web,env in (prod, stage)', labels));
  assert.ok(matches('app.kubernetes.io/name,!canary', labels));
  assert.ok(matches('env notin (dev)', labels));
  assert.ok(!matches('tier!=web', labels));
  assert.ok(!matches('tier=web,canary', labels));
  assert.ok(!matches('env in (dev,stage)', labels));
  assert.ok(matches('missing!=x', labels), '!= holds when the key is absent, as in Kubernetes');
});

test('malformed selectors are rejected with the reason', () => {
  assert.throws(() => parseLabelSelector('env in (prod'), /unbalanced "\("/);
  assert.throws(() => parseLabelSelector('tier=web,'), /empty requirement/);
  assert.throws(() => parseLabelSelector('bad key=x'), /cannot parse|not a valid/);
  assert.throws(() => parseLabelSelector('tier=we b'), /cannot parse|not a valid/);
  assert.throws(() => parseLabelSelector('-x=1'), /not a valid label key/);
});
