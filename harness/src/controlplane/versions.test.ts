import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_KUBERNETES_VERSION, OLDEST_KUBERNETES_VERSION, kubernetesVersion, minorOf } from './versions.ts';
import { OLDEST_SUPPORTED_MINOR } from '../../../src/engine/doctor/server-version.ts';

test('MCSYNC_K8S_VERSION: unset or empty is the default, "oldest" the oldest supported build, an exact release is taken as is', () => {
  assert.equal(kubernetesVersion(undefined), DEFAULT_KUBERNETES_VERSION);
  assert.equal(kubernetesVersion(''), DEFAULT_KUBERNETES_VERSION);
  assert.equal(kubernetesVersion('oldest'), OLDEST_KUBERNETES_VERSION);
  assert.equal(kubernetesVersion('v1.35.4'), 'v1.35.4');
});

test('MCSYNC_K8S_VERSION that is not an exact release is refused, naming the variable and what it takes', () => {
  for (const bad of ['1.34.4', 'v1.34', 'latest', 'v1.34.4; rm -rf /']) {
    assert.throws(() => kubernetesVersion(bad), (err: Error) => {
      assert.ok(err.message.startsWith(`MCSYNC_K8S_VERSION=${bad} is not a Kubernetes release`), err.message);
      assert.match(err.message, /"oldest"/);
      return true;
    });
  }
});

test('the oldest build is of the minor doctor calls the oldest supported, and older than the default', () => {
  assert.equal(minorOf(OLDEST_KUBERNETES_VERSION), OLDEST_SUPPORTED_MINOR);
  assert.ok(minorOf(OLDEST_KUBERNETES_VERSION) < minorOf(DEFAULT_KUBERNETES_VERSION));
});
