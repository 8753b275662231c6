import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spannedRemotes } from './annotation.ts';
import { policy, trio } from './fixtures.test-util.ts';

const cfg = trio();
const of = (remotes?: string) => spannedRemotes(cfg, 'a', policy('shop', 'web', remotes === undefined ? {} : { remotes }));

test('names are config cluster names, comma-separated, whitespace trimmed, sorted and once', () => {
  assert.deepEqual(of('c, b ,b'), { remotes: ['b', 'c'] });
  assert.deepEqual(of('b'), { remotes: ['b'] });
});

test('"*" is every other cluster', () => {
  assert.deepEqual(of('*'), { remotes: ['b', 'c'] });
  assert.deepEqual(of(' * '), { remotes: ['b', 'c'] });
});

test('no annotation spans nothing', () => {
  assert.deepEqual(of(undefined), { remotes: [] });
});

test('an unknown name, the own cluster, nothing named, or "*" with names is a problem', () => {
  const problem = (r: ReturnType<typeof of>) => ('problem' in r ? r.problem : '');
  assert.match(problem(of('b,eks9')), /"eks9", not a cluster of the config/);
  assert.match(problem(of('a,b')), /own cluster "a"/);
  assert.match(problem(of(' , ')), /names no cluster/);
  assert.match(problem(of('*,b')), /cannot be combined/);
});
