// Docker cannot build here, so this checks what can be checked without it: every path the
// Dockerfile copies exists in the build context, and its entrypoint — the compiled CLI in
// dist/ — runs and answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runtimeFlags } from '../../harness/src/runtime-flags.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(new URL('./Dockerfile', import.meta.url), 'utf8');

test('every COPY from the build context names a path that exists and is not ignored', () => {
  const ignored = readFileSync(`${root}.dockerignore`, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  assert.ok(sources.length >= 5);
  for (const s of sources) {
    assert.ok(existsSync(`${root}${s}`), `${s} exists`);
    assert.ok(!ignored.includes(s), `${s} is not excluded by .dockerignore`);
  }
});

test('the image runs as a non-root user and starts the compiled CLI, which answers', () => {
  assert.match(dockerfile, /^USER 1000:1000$/m);
  const m = /^ENTRYPOINT \["node", ((?:"--[^"]+", )*)"\/app\/(dist\/src\/cli\/main\.js)"\]$/m.exec(dockerfile);
  assert.ok(m, 'ENTRYPOINT runs dist/src/cli/main.js');
  const entry = m[2]!;
  const flags = [...m[1]!.matchAll(/"([^"]+)"/g)].map((x) => x[1]);
  assert.deepEqual(flags, runtimeFlags(`${root}src/cli/main.ts`), 'the image runs node with the flags of the CLI\'s shebang');
  assert.deepEqual(runtimeFlags(`${root}${entry}`), flags, 'the compiled CLI keeps them');
  assert.ok(existsSync(`${root}${entry}`), 'npm run build has produced it');
  const version = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version as string;
  const run = spawnSync(process.execPath, [`${root}${entry}`, '--version'], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), version);
  const help = spawnSync(process.execPath, [`${root}${entry}`, 'run', '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /--listen <host:port>/, 'the default CMD\'s options exist');
});
