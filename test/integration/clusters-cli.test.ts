// `npm run clusters -- up/down` as a person uses it: kubeconfigs kubectl accepts, a clean stop
// by `down` from another shell or by Ctrl-C, and clear refusals.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureComponents } from '../../harness/src/controlplane/components.ts';
import { isAlive } from '../../harness/src/util/process.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { waitFor } from '../../harness/src/util/wait.ts';

const cli = new URL('../../harness/src/cli.ts', import.meta.url).pathname;

function up(args: string[]): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, [cli, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));

function componentPids(dir: string): number[] {
  const state = JSON.parse(readFileSync(join(dir, '.mcsync-harness', 'state.json'), 'utf8')) as { clusters: { pids: number[] }[] };
  return state.clusters.flatMap((c) => c.pids);
}

describe('clusters CLI', { skip: process.env.MCSYNC_TEST_KUBECONFIGS ? 'MCSYNC_TEST_KUBECONFIGS is set: this test starts its own clusters by design' : false }, () => {
  test('up gives kubeconfigs kubectl accepts, down from another process stops everything', async () => {
    const { kubectl } = await ensureComponents(['kubectl']);
    const dir = join(scratchDir('mcsync-cli-'), 'x');
    const run = up(['--names', 'a,b', '--dir', dir]);
    try {
      await waitFor(async () => /cluster\(s\) up/.test(run.output()) || (run.child.exitCode !== null && Promise.reject(new Error(run.output()))), { what: 'up to report the clusters', timeoutMs: 180_000 });
      for (const name of ['a', 'b']) {
        const res = spawnSync(kubectl, ['--kubeconfig', join(dir, `${name}.kubeconfig`), 'get', 'ns', '-o', 'name'], { encoding: 'utf8' });
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stdout, /namespace\/kube-system/);
      }
      const pids = componentPids(dir);
      const down = spawnSync(process.execPath, [cli, 'down', '--dir', dir], { encoding: 'utf8' });
      assert.equal(down.status, 0, down.stderr);
      assert.equal(await exited(run.child), 143, 'up exits as terminated');
      assert.deepEqual(pids.filter(isAlive), []);
      assert.equal(existsSync(dir), false, 'the directory up created is gone');
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  test('Ctrl-C on up stops everything; a second up on a live dir is refused', async () => {
    const dir = scratchDir('mcsync-cli-');
    const run = up(['--names', 'c', '--dir', dir]);
    try {
      await waitFor(async () => /cluster\(s\) up/.test(run.output()), { what: 'up', timeoutMs: 180_000 });
      const second = spawnSync(process.execPath, [cli, 'up', '--names', 'd', '--dir', dir], { encoding: 'utf8' });
      assert.equal(second.status, 1);
      assert.match(second.stderr, /clusters are already up in .* \(process \d+\)/);
      const pids = componentPids(dir);
      run.child.kill('SIGINT');
      assert.equal(await exited(run.child), 130);
      assert.deepEqual(pids.filter(isAlive), []);
      assert.equal(existsSync(join(dir, '.mcsync-harness')), false);
      assert.equal(existsSync(join(dir, 'c.kubeconfig')), false);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  test('bad names, a taken port and an empty dir are refused with a clear message', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    const taken = spawnSync(process.execPath, [cli, 'up', '--names', 'p', '--port-base', String(port), '--dir', scratchDir('mcsync-cli-')], { encoding: 'utf8' });
    holder.close();
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));

    const bad = spawnSync(process.execPath, [cli, 'up', '--names', 'A_1', '--dir', scratchDir('mcsync-cli-')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cluster name "A_1" must be lower-case/);
    const nothing = spawnSync(process.execPath, [cli, 'down', '--dir', scratchDir('mcsync-cli-')], { encoding: 'utf8' });
    assert.equal(nothing.status, 1);
    assert.match(nothing.stderr, /no harness clusters in/);
  });
});
