import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo, gitRecord, versionLine, writeBuildRecord } from './build-info.ts';
import { buildProgram } from './program.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mcsync-build-info-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
const head = spawnSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();

test('the build records the commit of the checkout; an installed package (no .git) reads it from that file', () => {
  assert.match(head, /^[0-9a-f]{40}$/, 'this test runs in a git checkout');
  // As `npm run build` then `npm pack`: the record travels in the package, the checkout does not.
  const installed = join(dir, 'node_modules/mcsync/dist/src/cli/build-info.json');
  const written = writeBuildRecord(repo, installed);
  assert.equal(written.commit, head);
  const info = buildInfo(installed);
  assert.deepEqual([info.source, info.commit, info.version], ['build', head, pkg.version]);
  assert.match(info.commitDate ?? '', /^\d{4}-\d\d-\d\dT/);
});

test('from a clone\'s sources, git is asked; outside any checkout and without a record, the commit is unknown', () => {
  const fromSources = buildInfo(join(repo, 'src/cli/no-build-info.json'));
  assert.deepEqual([fromSources.source, fromSources.commit], ['git', head]);
  assert.equal(gitRecord(dir), undefined);
  const nowhere = buildInfo(join(dir, 'no-such.json'));
  assert.deepEqual([nowhere.source, nowhere.commit], ['none', null]);
  assert.match(versionLine(nowhere), new RegExp(`^mcsync ${pkg.version.replace(/\./g, '\\.')} \\(commit unknown, Node\\.js v\\d+`));
});

test('a record from a tree with local changes says so', () => {
  const file = join(dir, 'dirty.json');
  writeFileSync(file, JSON.stringify({ commit: 'a'.repeat(40), commitDate: '2026-01-02T03:04:05Z', dirty: true }));
  assert.match(versionLine(buildInfo(file)), /^mcsync \S+ \(commit aaaaaaaaaaaa with local changes, 2026-01-02T03:04:05Z, Node\.js v\d+\S* \w+\/\w+\)$/);
});

test('--version and `version` print the same line; `version -o json` the fields', async () => {
  let out = '';
  const io = { out: (s: string) => (out += `${s}\n`), err: () => {}, setExitCode: () => {} };
  await assert.rejects(buildProgram(io).parseAsync(['node', 'mcsync', '--version']), { code: 'commander.version', exitCode: 0 });
  const line = out.trim();
  assert.match(line, new RegExp(`^mcsync ${pkg.version.replace(/\./g, '\\.')} \\(commit ${head.slice(0, 12)}`));
  out = '';
  await buildProgram(io).parseAsync(['node', 'mcsync', 'version']);
  assert.equal(out.trim(), line);
  out = '';
  await buildProgram(io).parseAsync(['node', 'mcsync', 'version', '-o', 'json']);
  const json = JSON.parse(out) as Record<string, unknown>;
  assert.deepEqual([json['version'], json['commit'], json['source']], [pkg.version, head, 'git']);
});
