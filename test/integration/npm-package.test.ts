// What `npm publish` would ship, made as a release would make it: a fresh clone of this
// repository's HEAD (so nothing built or left over in the working tree can hide a missing
// step), `npm pack` there (its prepack builds the CLI), then the tarball installed globally
// into a scratch prefix and the installed commands run. The tarball's contents are checked
// against what an installer needs: the CLI and its executable bit, no source maps without
// sources, no tests, and every deploy/ file the shipped docs tell the user to apply.
//
// No network: `npm install -g TARBALL` resolves the dependencies' version ranges from the
// registry's full package documents, which the local npm cache does not hold (npm ci, which
// filled it, reads the lock file instead). So the install is done in the two steps it consists
// of, both offline: the tarball unpacked with its dependencies installed from the repository's
// lock file (`npm ci --omit=dev`, the tree every test runs against, as the image build does),
// then `npm install -g --prefix` of that directory, which links the package and its bins into
// the prefix exactly as a registry install does.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { scratchDir } from '../../harness/src/util/tempdir.ts';

const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
// The project's Node first: the installed bin's shebang runs `node` from PATH.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${join(repo, 'node_modules/.bin')}:${process.env.PATH ?? ''}` };

let tarball: string;
let prefix: string;
/** path → mode, from `tar -tvzf`. */
const entries = new Map<string, string>();

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${cwd} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  const tmp = scratchDir('mcsync-pack-');
  const clone = join(tmp, 'clone');
  run('git', ['clone', '--quiet', repo, clone], tmp);
  // npm ci would fetch the same tree the repository already has; the link keeps this fast and offline.
  symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'));
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], clone)) as { filename: string }[];
  tarball = join(tmp, packed[0]!.filename);
  for (const line of run('tar', ['-tvzf', tarball], tmp).split('\n').filter(Boolean)) {
    const cols = line.trim().split(/\s+/);
    entries.set(cols[cols.length - 1]!.replace(/^package\//, ''), cols[0]!);
  }
  const unpacked = join(tmp, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked], tmp);
  const pkgDir = join(unpacked, 'package');
  copyFileSync(join(clone, 'package-lock.json'), join(pkgDir, 'package-lock.json'));
  run('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], pkgDir);
  prefix = join(tmp, 'prefix');
  run('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', pkgDir], tmp);
});

test('the installed mcsync says its version', () => {
  const out = execFileSync(join(prefix, 'bin/mcsync'), ['--version'], { env, encoding: 'utf8' });
  // `mcsync <version> (commit …, built …, Node.js …)`: an installed package has no .git, so the
  // commit comes from the build-info file the package ships.
  assert.match(out.trim(), new RegExp(`^mcsync ${pkg.version.replaceAll('.', '\\.')} \\(commit [0-9a-f]{7,}`));
});

test('the installed kubectl plugin answers --help under kubectl\'s name', () => {
  const out = execFileSync(join(prefix, 'bin/kubectl-mcsync'), ['--help'], { env, encoding: 'utf8' });
  assert.match(out, /Usage: kubectl mcsync/);
  assert.match(out, /\bsync\b/);
});

test('every bin is in the tarball, executable', () => {
  for (const [name, file] of Object.entries(pkg.bin)) {
    const mode = entries.get(file);
    assert.ok(mode, `${name} -> ${file} is packed`);
    assert.match(mode, /^-rwx/, `${file} is executable in the tarball (${mode})`);
  }
});

test('no source maps (their sources are not shipped), no tests, no developer docs', () => {
  const files = [...entries.keys()];
  assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);
  assert.deepEqual(files.filter((f) => /\.test\.|(^|\/)test\//.test(f)), []);
  assert.deepEqual(files.filter((f) => /^(harness|bench|demo|scripts|src)\//.test(f) || /docs\/(development|harness|performance|architecture)\.md$/.test(f)), []);
  for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md', 'SECURITY.md', 'schema/mcsync.schema.json', 'deploy/helm/mcsync/Chart.yaml', 'deploy/helm/mcsync/values.schema.json']) {
    assert.ok(entries.has(f), `${f} is packed`);
  }
});

test('every deploy/ path the shipped docs apply or install is in the tarball', () => {
  const docs = [...entries.keys()].filter((f) => f.endsWith('.md'));
  const wanted = new Set<string>();
  for (const d of docs) {
    const text = readFileSync(join(repo, d), 'utf8');
    for (const m of text.matchAll(/(?:kubectl (?:apply|delete|create) (?:[^\n`]*?)-f|helm (?:install|upgrade|template) \S+)\s+(deploy\/[^\s`),]+)/g)) wanted.add(m[1]!.replace(/\/$/, ''));
  }
  assert.ok(wanted.size >= 4, `found the docs' apply commands: ${[...wanted].join(', ')}`);
  const missing = [...wanted].filter((p) => !entries.has(p) && ![...entries.keys()].some((f) => f.startsWith(`${p}/`)));
  assert.deepEqual(missing, []);
});
