import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PATHS } from './read.ts';

test('request paths URL-encode the names they are built from', () => {
  assert.equal(PATHS.service('shop', 'web'), '/api/v1/namespaces/shop/services/web', 'valid names are unchanged');
  // A name from a config or an object never escapes its path segment.
  assert.equal(PATHS.service('shop', 'a/../b?x'), '/api/v1/namespaces/shop/services/a%2F..%2Fb%3Fx');
  assert.equal(PATHS.slices('s p'), '/apis/discovery.k8s.io/v1/namespaces/s%20p/endpointslices');
});
