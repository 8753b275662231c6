// The MCS CRDs shipped in deploy/mcs/crds/ are the upstream files of sigs.k8s.io/mcs-api at the
// pinned version, byte for byte. The module is looked up only in the local Go module cache
// (GOPROXY=off): the test never downloads, and says why it skips when the cache lacks it (under CI=true that fails instead: setup builds the conformance suite, which fetches the module).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MCS_API_MODULE, MCS_API_VERSION, mcsCrdPaths } from '../../harness/src/controlplane/mcs-crds.ts';
import { cmp } from '../../src/model/canonical.ts';
import { prerequisite } from '../../harness/src/util/prerequisite.ts';

const crdDir = fileURLToPath(new URL('./crds/', import.meta.url));

/** The module's directory in the Go module cache, or why it cannot be had without a download. */
function cachedModuleDir(): { dir: string } | { missing: string } {
  const out = spawnSync('go', ['mod', 'download', '-json', `${MCS_API_MODULE}@${MCS_API_VERSION}`], {
    cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' }, timeout: 60_000,
  });
  if (out.error) return { missing: `go is not available (${out.error.message})` };
  try {
    const info = JSON.parse(out.stdout) as { Dir?: string; Error?: string };
    if (info.Dir) return { dir: info.Dir };
    return { missing: `the Go module cache lacks ${MCS_API_MODULE}@${MCS_API_VERSION} (${info.Error ?? 'no Dir'})` };
  } catch {
    return { missing: `go mod download gave no JSON: ${out.stderr.trim()}` };
  }
}

test('deploy/mcs/crds/ holds exactly the two MCS CRDs, both served at v1alpha1 and v1beta1', () => {
  assert.deepEqual(readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort(cmp), [
    'multicluster.x-k8s.io_serviceexports.yaml', 'multicluster.x-k8s.io_serviceimports.yaml',
  ]);
  for (const path of mcsCrdPaths()) {
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^# Copyright \d{4} The Kubernetes Authors\./, `${path} keeps its license header`);
    assert.match(text, /- name: v1alpha1\n\s+served: true/);
    assert.match(text, /- name: v1beta1\n\s+served: true\n\s+storage: true/);
  }
});

const found = cachedModuleDir();
test(`the copies equal ${MCS_API_MODULE}@${MCS_API_VERSION} config/crd/`, { skip: prerequisite(`${MCS_API_MODULE}@${MCS_API_VERSION} in the Go module cache`, 'missing' in found && found.missing) }, () => {
  const dir = (found as { dir: string }).dir;
  for (const path of mcsCrdPaths()) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    assert.equal(readFileSync(path, 'utf8'), readFileSync(join(dir, 'config', 'crd', name), 'utf8'), `${name} differs from the module's`);
  }
});

test('the Helm chart ships the same CRDs in its crds/ (Helm installs them before the release)', () => {
  const chartCrds = fileURLToPath(new URL('../helm/mcsync/crds/', import.meta.url));
  for (const path of mcsCrdPaths()) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    assert.equal(readFileSync(join(chartCrds, name), 'utf8'), readFileSync(path, 'utf8'), `deploy/helm/mcsync/crds/${name} differs from deploy/mcs/crds/`);
  }
});
