// The ClusterProfile CRD shipped in deploy/inventory/crds/ is the upstream file of
// sigs.k8s.io/cluster-inventory-api at the pinned version, byte for byte. The module is looked
// up only in the local Go module cache (GOPROXY=off): the test never downloads. Outside CI a
// cache without it skips with the reason; under CI=true that fails, naming what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INVENTORY_API_MODULE, INVENTORY_API_VERSION, clusterProfileCrd } from '../../harness/src/controlplane/inventory.ts';
import { prerequisite } from '../../harness/src/util/prerequisite.ts';

const crdDir = fileURLToPath(new URL('./crds/', import.meta.url));
const NAME = 'multicluster.x-k8s.io_clusterprofiles.yaml';

function cachedModuleDir(): { dir: string } | { missing: string } {
  const out = spawnSync('go', ['mod', 'download', '-json', `${INVENTORY_API_MODULE}@${INVENTORY_API_VERSION}`], {
    cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' }, timeout: 60_000,
  });
  if (out.error) return { missing: `go is not available (${out.error.message})` };
  try {
    const info = JSON.parse(out.stdout) as { Dir?: string; Error?: string };
    if (info.Dir) return { dir: info.Dir };
    return { missing: `the Go module cache lacks ${INVENTORY_API_MODULE}@${INVENTORY_API_VERSION} (${info.Error ?? 'no Dir'})` };
  } catch {
    return { missing: `go mod download gave no JSON: ${out.stderr.trim()}` };
  }
}

test('deploy/inventory/crds/ holds the ClusterProfile CRD, namespaced, served at v1alpha1 with a status subresource', () => {
  assert.deepEqual(readdirSync(crdDir).filter((f) => f.endsWith('.yaml')), [NAME]);
  const crd = clusterProfileCrd();
  assert.equal(crd.metadata?.name, 'clusterprofiles.multicluster.x-k8s.io');
  assert.equal(crd.spec.scope, 'Namespaced');
  assert.deepEqual(crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources?.status !== undefined]), [['v1alpha1', true, true, true]]);
});

const found = cachedModuleDir();
const skip = prerequisite(`${INVENTORY_API_MODULE}@${INVENTORY_API_VERSION} in the Go module cache`, 'missing' in found && found.missing);
test(`the copy equals ${INVENTORY_API_MODULE}@${INVENTORY_API_VERSION} config/crd/bases/`, { skip }, () => {
  if ('missing' in found) assert.fail(found.missing);
  assert.equal(readFileSync(join(crdDir, NAME), 'utf8'), readFileSync(join(found.dir, 'config', 'crd', 'bases', NAME), 'utf8'), `${NAME} differs from the module's`);
  assert.equal(readFileSync(new URL('./LICENSE', import.meta.url), 'utf8'), readFileSync(join(found.dir, 'LICENSE'), 'utf8'), 'LICENSE is the module\'s');
});
