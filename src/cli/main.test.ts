// Exit codes of the CLI process itself (main.ts decides them), so each case spawns it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from './io.ts';
import { unreachableConfig } from './unreachable-config.test-util.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const mcsync = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('usage errors exit 64 (EX_USAGE), apart from 1 (a partial failure) and 2 (bad config), with the reason on stderr', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['sync', '--bogus'], /unknown option '--bogus'/],
    [['sync', '-o', 'wide'], /argument 'wide' is invalid/],
    [['status', '--log-level', 'loud'], /argument 'loud' is invalid/],
    [['plan'], /--config FILE is required/],
    [['export', 'Not A/Service', '--cluster', 'a', '--config', '/nonexistent.yaml'], /is not NAMESPACE\/NAME/],
    [['run', '--config', '/nonexistent.yaml', '--shutdown-timeout', 'soon'], /--shutdown-timeout must be a positive number/],
    [['run', '--config', '/nonexistent.yaml', '--listen', 'nowhere'], /--listen must be HOST:PORT/],
  ];
  for (const [args, why] of cases) {
    const r = mcsync(...args);
    assert.equal(r.status, EXIT.usage, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, why, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('help and --version are not usage errors: exit 0', () => {
  for (const args of [['--help'], ['--version'], ['sync', '--help']]) assert.equal(mcsync(...args).status, 0, args.join(' '));
});

test('a config that does not exist is still a config error (exit 2), not a usage error', () => {
  const r = mcsync('plan', '--config', '/nonexistent/mcsync.yaml');
  assert.equal(r.status, EXIT.config, r.stderr);
});

test('--log-format: json lines or short pretty lines on stderr; without it, json when stderr is not a terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcsync-log-format-'));
  try {
    // A cluster nobody listens for (a refusing loopback port): status logs that it is unavailable, at info.
    const config = unreachableConfig(dir, ['a']);
    const status = (...more: string[]) => mcsync('status', '--config', config, '--log-level', 'info', ...more);
    const pretty = status('--log-format', 'pretty');
    assert.equal(pretty.status, EXIT.partial, pretty.stderr);
    assert.equal(pretty.stderr, `info: ${config}:3: clusters[0].kubeconfig: cluster a cannot be reached at https://127.0.0.1:1: connection to https://127.0.0.1:1 refused: nothing listens there\n`);
    for (const r of [status('--log-format', 'json'), status()]) {
      const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(lines.map((l) => [l['level'], l['field'], l['line']]), [[30, 'clusters[0].kubeconfig', 3]]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown --cluster or --local-cluster is a config error (exit 2) before any cluster is contacted', async () => {
  // A listener on loopback stands where the cluster's apiserver would be: it only counts connections.
  const server = createServer((s) => s.destroy());
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'mcsync-unknown-cluster-'));
  try {
    const port = (server.address() as AddressInfo).port;
    writeFileSync(join(dir, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config',
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'));
    const config = join(dir, 'mcsync.yaml');
    writeFileSync(config, 'clusters:\n- name: a\n  kubeconfig: kubeconfig\n- name: b\n  kubeconfig: kubeconfig\n');
    for (const args of [['status', '--cluster', 'z'], ['plan', '--cluster', 'z'], ['prune', '--cluster', 'z'], ['doctor', '--cluster', 'z'], ['doctor', '--local-cluster', 'z'], ['export', 'shop/cart', '--cluster', 'z']]) {
      const r = await mcsyncAsync(...args, '--config', config);
      assert.equal(r.code, EXIT.config, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: ${args[args.length - 2]} z is not in ${config} \\(its clusters: a, b\\)$`, 'm'), args.join(' '));
    }
    // Every run above has ended, so any connection it made has been counted by now.
    assert.equal(connections, 0);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function mcsyncAsync(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}
