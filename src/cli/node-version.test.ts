import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeTooOld } from './node-version.ts';
// Test-only: the shared rule for a missing prerequisite (skip locally, fail under CI).
import { prerequisite } from '../../harness/src/util/prerequisite.ts';

test('Node.js older than 22 is named with what to do; 22 and newer pass', () => {
  assert.match(nodeTooOld('20.20.2')!, /needs Node\.js 22 or newer; this is Node\.js 20\.20\.2/);
  assert.equal(nodeTooOld('22.0.0'), undefined);
  assert.equal(nodeTooOld('24.21.0'), undefined);
});

// The machine's own Node (20 on a fresh CI machine) running the built CLI, as a user who
// ignored npm's engine warning would: a clear error, not a library's stack trace.
const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
  if (!existsSync(p)) return false;
  const v = spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return Number(v.slice(1).split('.')[0]) < 22;
});
const built = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

// An old Node is the machine's (scripts/setup.sh installs none): without one the test skips. The
// build is setup's and npm test's, so its absence is a missing prerequisite.
const skip = !oldNode ? 'no Node older than 22 here' : prerequisite('the build', !existsSync(built) && `${built} is missing: npm run build`);
test('the built CLI on an old Node exits 1 with that message', { skip }, () => {
  const out = spawnSync(oldNode!, [built, '--version'], { encoding: 'utf8' });
  assert.equal(out.status, 1);
  assert.match(out.stderr, /^error: mcsync needs Node\.js 22 or newer; this is Node\.js 20\./);
  assert.doesNotMatch(out.stderr, /at .*node_modules/, 'no stack trace');
});
