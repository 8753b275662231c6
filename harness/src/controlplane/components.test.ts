import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_KUBERNETES_VERSION, HELM_VERSION, OLDEST_KUBERNETES_VERSION, buildDir, kubernetesRelease, KUBE_NETWORK_POLICIES_VERSION, KWOK_VERSION, ensureComponents, locate, runBuildScript } from './components.ts';
import { scratchDir } from '../util/tempdir.ts';

function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });
}

test('without Go and without binaries the error says Go is missing and how to do without it', async () => {
  const emptyCache = scratchDir('mcsync-cache-');
  await withEnv({ MCSYNC_CACHE_DIR: emptyCache, MCSYNC_K8S_BIN_DIR: undefined, PATH: '/nonexistent' }, async () => {
    await assert.rejects(ensureComponents(['kube-apiserver']), (err: Error) => {
      assert.match(err.message, /`go` is not on PATH/);
      assert.match(err.message, /MCSYNC_K8S_BIN_DIR/);
      return true;
    });
  });
});

test('a failed build reports its exit code and the tail of its log', async () => {
  const emptyCache = scratchDir('mcsync-cache-');
  const fakeBin = scratchDir('mcsync-fakego-');
  // A `go` that answers `go version` but fails every build, as a broken toolchain would.
  writeFileSync(join(fakeBin, 'go'), '#!/bin/sh\nif [ "$1" = version ]; then echo go version go0; exit 0; fi\necho "compile: something went wrong in $1" >&2\nexit 3\n');
  chmodSync(join(fakeBin, 'go'), 0o755);
  await withEnv({ MCSYNC_CACHE_DIR: emptyCache, MCSYNC_K8S_BIN_DIR: undefined, PATH: `${fakeBin}:/usr/bin:/bin` }, async () => {
    await assert.rejects(ensureComponents(['kube-apiserver']), (err: Error) => {
      assert.match(err.message, /building kube-apiserver failed \(exit \d+\)/);
      assert.match(err.message, /compile: something went wrong/);
      return true;
    });
  });
});

test('MCSYNC_K8S_BIN_DIR that lacks a binary is named in the error', async () => {
  const dir = scratchDir('mcsync-bins-');
  await withEnv({ MCSYNC_K8S_BIN_DIR: dir }, async () => {
    await assert.rejects(ensureComponents(['etcd', 'kube-apiserver']), new RegExp(`MCSYNC_K8S_BIN_DIR=${dir} lacks etcd, kube-apiserver`));
  });
});

test('a cached helm built for another pin is not used: changing HELM_VERSION rebuilds it', async () => {
  const cache = scratchDir('mcsync-cache-');
  const bin = join(cache, `k8s-${kubernetesRelease()}`, 'bin');
  mkdirSync(bin, { recursive: true });
  const fakeHelm = (version: string) => {
    writeFileSync(join(bin, 'helm'), `#!/bin/sh\necho ${version}\n`);
    chmodSync(join(bin, 'helm'), 0o755);
  };
  await withEnv({ MCSYNC_CACHE_DIR: cache, MCSYNC_K8S_BIN_DIR: undefined, PATH: '/usr/bin:/bin' }, async () => {
    fakeHelm('v3.0.0');
    assert.equal(locate('helm'), undefined, 'an old helm in the cache counts as missing');
    fakeHelm(HELM_VERSION);
    assert.equal(locate('helm'), join(bin, 'helm'));
  });
});

test('a cached kube-network-policies counts only while its embedded build info names the pinned module version', async () => {
  const cache = scratchDir('mcsync-cache-');
  const bin = join(cache, `k8s-${kubernetesRelease()}`, 'bin');
  mkdirSync(bin, { recursive: true });
  // The binary has no version flag: Go's build info, as `go version -m` prints it, is embedded as text.
  const fakeKnp = (version: string) => writeFileSync(join(bin, 'kube-network-policies'),
    `\x7fELF...path\tsigs.k8s.io/kube-network-policies/cmd/kube-network-policies/standard\n` +
    `mod\tmcsync.local/kube-network-policies\t(devel)\t\ndep\tsigs.k8s.io/kube-network-policies\t${version}\th1:x=\n`);
  await withEnv({ MCSYNC_CACHE_DIR: cache, MCSYNC_K8S_BIN_DIR: undefined, PATH: '/usr/bin:/bin' }, async () => {
    fakeKnp('v0.8.0');
    assert.equal(locate('kube-network-policies'), undefined, 'one built from another version counts as missing');
    fakeKnp(`${KUBE_NETWORK_POLICIES_VERSION}0`);
    assert.equal(locate('kube-network-policies'), undefined, 'a version that only starts with the pin is another version');
    fakeKnp(KUBE_NETWORK_POLICIES_VERSION);
    assert.equal(locate('kube-network-policies'), join(bin, 'kube-network-policies'));
  });
});

test('a cached kwok counts only while its embedded build info names the pinned kwok version', async () => {
  const cache = scratchDir('mcsync-cache-');
  const bin = join(cache, `k8s-${kubernetesRelease()}`, 'bin');
  mkdirSync(bin, { recursive: true });
  // Built as the main module's own command, so the build info's `mod` line carries the version.
  const fakeKwok = (version: string) => writeFileSync(join(bin, 'kwok'),
    `\x7fELF...path\tsigs.k8s.io/kwok/cmd/kwok\nmod\tsigs.k8s.io/kwok\t${version}\th1:x=\n`);
  await withEnv({ MCSYNC_CACHE_DIR: cache, MCSYNC_K8S_BIN_DIR: undefined, PATH: '/usr/bin:/bin' }, async () => {
    fakeKwok('v0.7.0');
    assert.equal(locate('kwok'), undefined, 'one built from another version counts as missing');
    fakeKwok(KWOK_VERSION);
    assert.equal(locate('kwok'), join(bin, 'kwok'));
  });
});

test('a build script runs with its env, its output goes to the log and its progress lines are seen; a failure names what and ends with the log', async () => {
  const dir = scratchDir('mcsync-build-');
  const log = join(dir, 'build.log');
  const seen: string[] = [];
  await runBuildScript(['bash', '-c', 'echo "building $WHAT" >&2; echo out'], { WHAT: 'x' }, log, 'x', (l) => { if (l) seen.push(l); });
  assert.deepEqual(seen, ['building x']);
  assert.match(readFileSync(log, 'utf8'), /building x\nout\n|out\nbuilding x\n/);
  await assert.rejects(runBuildScript(['bash', '-c', 'echo broken >&2; exit 3'], {}, log, 'y, z'), (err: Error) => {
    assert.match(err.message, /^building y, z failed \(exit 3\); last lines of .*build\.log:\n[\s\S]*broken$/);
    return true;
  });
});

test('MCSYNC_K8S_VERSION=oldest takes the components from the oldest release\'s own cache directory, never the default one', async () => {
  const cache = scratchDir('mcsync-cache-');
  const put = (version: string) => {
    const bin = join(cache, `k8s-${version}`, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'kube-apiserver'), `#!/bin/sh\necho Kubernetes ${version}\n`);
    chmodSync(join(bin, 'kube-apiserver'), 0o755);
  };
  put(DEFAULT_KUBERNETES_VERSION);
  await withEnv({ MCSYNC_CACHE_DIR: cache, MCSYNC_K8S_BIN_DIR: undefined, MCSYNC_K8S_VERSION: 'oldest', PATH: '/nonexistent' }, async () => {
    assert.equal(buildDir(), join(cache, `k8s-${OLDEST_KUBERNETES_VERSION}`));
    assert.equal(locate('kube-apiserver'), undefined, 'the default release\'s binary is not taken for the oldest');
    put(OLDEST_KUBERNETES_VERSION);
    assert.equal(locate('kube-apiserver'), join(cache, `k8s-${OLDEST_KUBERNETES_VERSION}`, 'bin', 'kube-apiserver'));
  });
});
