import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyAllowed, globMatches } from './copy-filter.ts';

test('copy filter: user exclude > user include > built-in exclusions > include list present', () => {
  assert.ok(globMatches('a/*', 'a/b/c'));
  assert.ok(globMatches('*.io/x', 'mcsync.io/x'));
  assert.ok(!globMatches('a.b', 'aXb'), 'dots are literal');
  // No filter: everything but the built-in exclusions.
  assert.ok(copyAllowed({ exclude: [] }, 'app'));
  assert.ok(!copyAllowed({ exclude: [] }, 'meta.helm.sh/release-name'));
  // The user's include overrides a built-in exclusion...
  assert.ok(copyAllowed({ include: ['meta.helm.sh/*'], exclude: [] }, 'meta.helm.sh/release-name'));
  // ...but with an include list, nothing else passes.
  assert.ok(!copyAllowed({ include: ['meta.helm.sh/*'], exclude: [] }, 'app'));
  assert.ok(!copyAllowed({ include: [], exclude: [] }, 'app'));
  // The user's exclude beats the user's include.
  assert.ok(!copyAllowed({ include: ['team/*'], exclude: ['team/secret'] }, 'team/secret'));
  assert.ok(copyAllowed({ include: ['team/*'], exclude: ['team/secret'] }, 'team/name'));
  // mcsync's own keys never cross, whatever the filter says.
  assert.ok(!copyAllowed({ include: ['*'], exclude: [] }, 'mcsync.io/sources'));
  assert.ok(!copyAllowed({ include: ['mcsync.io/*'], exclude: [] }, 'mcsync.io/instance'));
});
