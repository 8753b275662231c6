// Exit codes of the CLI process itself (main.ts decides them), so each case spawns it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EXIT } from './io.ts';

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
