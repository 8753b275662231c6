import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OLDEST_SUPPORTED_MINOR, parseServerVersion, serverVersionCheck } from './server-version.ts';
import type { ClusterFacts } from './types.ts';

const at = (version: string): ClusterFacts => ({ cluster: 'a', reach: { ok: true, version, server: 'https://a:6443' } });

test('parseServerVersion reads major and minor from upstream and vendor gitVersions', () => {
  assert.deepEqual(parseServerVersion('v1.34.4'), { major: 1, minor: 34 });
  assert.deepEqual(parseServerVersion('v1.33.5-eks-1a2b3c4'), { major: 1, minor: 33 });
  assert.deepEqual(parseServerVersion('v1.31.2+k3s1'), { major: 1, minor: 31 });
  assert.deepEqual(parseServerVersion('v1.35.0-alpha.1'), { major: 1, minor: 35 });
  assert.equal(parseServerVersion('openshift-4.16'), undefined);
  assert.equal(parseServerVersion(''), undefined);
});

test('property: any vX.Y.Z with any suffix parses back to X and Y', () => {
  const suffix = fc.constantFrom('', '-eks-abc', '+k3s1', '-gke.1200', '-rc.0');
  fc.assert(fc.property(fc.nat(9), fc.nat(99), fc.nat(99), suffix, (major, minor, patch, s) => {
    assert.deepEqual(parseServerVersion(`v${major}.${minor}.${patch}${s}`), { major, minor });
  }));
});

test('the oldest supported minor and everything newer pass; older warns naming the floor and the docs', () => {
  assert.equal(serverVersionCheck(at(`v1.${OLDEST_SUPPORTED_MINOR}.0`)).result, 'pass');
  assert.equal(serverVersionCheck(at('v1.36.3')).result, 'pass');
  assert.equal(serverVersionCheck(at('v2.0.0')).result, 'pass');
  const old = serverVersionCheck(at(`v1.${OLDEST_SUPPORTED_MINOR - 1}.9-eks-1`));
  assert.equal(old.result, 'warn');
  assert.match(old.message, new RegExp(`Kubernetes 1\\.${OLDEST_SUPPORTED_MINOR - 1} is older than 1\\.${OLDEST_SUPPORTED_MINOR}`));
  assert.match(old.message, /docs\/versions\.md/);
  assert.deepEqual(old.detail, { version: `v1.${OLDEST_SUPPORTED_MINOR - 1}.9-eks-1` });
});

test('property: the verdict is pass exactly from the oldest supported minor on', () => {
  fc.assert(fc.property(fc.nat(60), fc.nat(20), (minor, patch) => {
    const r = serverVersionCheck(at(`v1.${minor}.${patch}`)).result;
    assert.equal(r, minor >= OLDEST_SUPPORTED_MINOR ? 'pass' : 'warn');
  }));
});

test('a version that is not a release is reported, not judged', () => {
  const c = serverVersionCheck(at('my-distro-7'));
  assert.equal(c.result, 'info');
  assert.match(c.message, /"my-distro-7", not a Kubernetes release/);
});
