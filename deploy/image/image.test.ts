// The Dockerfile, for Docker users, against the image `npm run image` builds and
// test/integration/image.test.ts runs: every path it copies exists in the build context, and it
// starts the same program the same way (deploy/image/spec.ts) — which the compiled CLI answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runtimeFlags } from '../../harness/src/mcsync/runtime-flags.ts';
import { APP_DIR, CLI_IN_IMAGE, CMD, REPO_ROOT, USER, VERSION, entrypoint } from './spec.ts';

const dockerfile = readFileSync(new URL('./Dockerfile', import.meta.url), 'utf8');

/** The JSON array of an exec-form instruction (ENTRYPOINT, CMD) in the final stage. */
function execForm(instruction: string): string[] {
  const all = [...dockerfile.matchAll(new RegExp(`^${instruction} (\\[.*\\])$`, 'gm'))];
  assert.ok(all.length > 0, `the Dockerfile has an exec-form ${instruction}`);
  return JSON.parse(all.at(-1)![1]!) as string[];
}

test('every COPY from the build context names a path that exists and is not ignored', () => {
  const ignored = readFileSync(`${REPO_ROOT}.dockerignore`, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  assert.ok(sources.length >= 5);
  for (const s of sources) {
    assert.ok(existsSync(`${REPO_ROOT}${s}`), `${s} exists`);
    assert.ok(!ignored.includes(s), `${s} is not excluded by .dockerignore`);
  }
});

test('the Dockerfile\'s ENTRYPOINT, CMD, USER and WORKDIR are the built image\'s', () => {
  assert.deepEqual(execForm('ENTRYPOINT'), entrypoint());
  assert.deepEqual(execForm('CMD'), CMD);
  assert.equal([...dockerfile.matchAll(/^USER (\S+)$/gm)].at(-1)?.[1], USER);
  assert.equal([...dockerfile.matchAll(/^WORKDIR (\S+)$/gm)].at(-1)?.[1], APP_DIR);
});

test('the compiled CLI the entrypoint names keeps the shebang\'s flags and answers', () => {
  const entry = `${REPO_ROOT}${CLI_IN_IMAGE.slice(APP_DIR.length + 1)}`;
  assert.ok(existsSync(entry), 'npm run build has produced it');
  const flags = runtimeFlags(`${REPO_ROOT}src/cli/main.ts`);
  assert.deepEqual(runtimeFlags(entry), flags);
  const run = spawnSync(process.execPath, [...flags, entry, '--version'], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^mcsync ${VERSION.replace(/\./g, '\\.')} \\(commit [0-9a-f]{12}`), 'the version, and the commit the build recorded');
  const help = spawnSync(process.execPath, [entry, 'run', '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /--listen <host:port>/, 'the default CMD\'s options exist');
});
