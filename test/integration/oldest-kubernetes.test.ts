// The core integration tests again, against the oldest supported Kubernetes (docs/versions.md).
// The same files run in a child `node --test` with MCSYNC_K8S_VERSION set, so nothing is
// copied: the harness then builds (once) and starts that release's etcd, kube-apiserver and
// kube-controller-manager instead of the default ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { OLDEST_KUBERNETES_VERSION } from '../../harness/src/controlplane/components.ts';
import { runToEnd } from '../../harness/src/util/process.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const CORE = ['sync.test.ts', 'run.test.ts', 'mcs.test.ts'].map((f) => join(repo, 'test/integration', f));

function oldestEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MCSYNC_K8S_VERSION: OLDEST_KUBERNETES_VERSION };
  // Set by this file's own runner: a child `node --test` that inherits it reports to that
  // runner's protocol instead of running its files.
  delete env.NODE_TEST_CONTEXT;
  // A directory of own binaries holds one release, the default one; the oldest comes from the modules.
  delete env.MCSYNC_K8S_BIN_DIR;
  return env;
}

const tail = (text: string, lines: number) => text.trimEnd().split('\n').slice(-lines).join('\n');

test(`the harness resolves the oldest supported release's own control plane (${OLDEST_KUBERNETES_VERSION})`, { timeout: 45 * 60_000 }, async () => {
  // Builds it when missing (scripts/setup.sh has normally done so), as any harness start would.
  const built = await runToEnd(process.execPath, [join(repo, 'harness/src/cli.ts'), 'build'], oldestEnv());
  assert.equal(built.code, 0, `clusters build failed:\n${tail(built.stderr, 30)}`);
  const paths = Object.fromEntries(built.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)));
  for (const component of ['kube-apiserver', 'kube-controller-manager']) {
    assert.ok(paths[component], `${component} in:\n${built.stdout}`);
    const reported = await runToEnd(paths[component]!, ['--version']);
    assert.match(reported.stdout, new RegExp(`Kubernetes ${OLDEST_KUBERNETES_VERSION.replaceAll('.', '\\.')}\\b`), `${paths[component]} --version`);
  }
});

test(`sync, run and mcs pass against Kubernetes ${OLDEST_KUBERNETES_VERSION}`, { timeout: 45 * 60_000 }, async (t) => {
  const run = await runToEnd(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=900000', '--test-reporter=tap', ...CORE], oldestEnv());
  const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? NaN);
  assert.equal(run.code, 0, `the core tests failed against ${OLDEST_KUBERNETES_VERSION}:\n${tail(run.stdout, 80)}\n${tail(run.stderr, 20)}`);
  for (const what of ['fail', 'cancelled', 'skipped', 'todo']) assert.equal(count(what), 0, `${what} in the summary`);
  // A file that cannot load fails the run above; this says tests really ran.
  assert.ok(count('pass') > 0, `no test passed:\n${tail(run.stdout, 20)}`);
  t.diagnostic(`${count('pass')} tests of ${CORE.length} files passed against ${OLDEST_KUBERNETES_VERSION}`);
});
