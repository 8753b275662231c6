// Where code and test helpers live (docs/development.md, "Where code and test helpers live"),
// checked on every file of the repository, so the tree cannot drift from the rule:
// - nothing outside bench/ imports bench/; harness/ imports only harness/ and src/;
// - `*.test-util.ts` helpers are imported by tests and other helpers only (the build leaves them out);
// - test/integration, test/dataplane and test/demo hold tests only; their helpers are in test/support/;
// - bench/'s top level holds exactly the entry points npm scripts run; their libraries are in bench/lib/;
// - every `*.test.ts` is matched by a glob of the `test` script, so `npm test` runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, matchesGlob, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Not the repository's own code: dependencies, build output, scratch space. */
const SKIP = new Set(['node_modules', 'dist', 'dist-image', 'scratch', '.git']);

/** Repository-relative paths of every .ts file. */
function tsFiles(dir = ''): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Repository-relative targets of a file's relative imports (static, dynamic and type-only). */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => posix.normalize(posix.join(posix.dirname(file), s)));
}

const top = (p: string) => p.split('/')[0]!;
const isTest = (p: string) => p.endsWith('.test.ts');
const isTestUtil = (p: string) => p.endsWith('.test-util.ts');
const TESTS_ONLY = ['test/integration/', 'test/dataplane/', 'test/demo/'];

export interface Tree {
  /** path → text, for every .ts file. */
  files: Map<string, string>;
  /** package.json scripts. */
  scripts: Record<string, string>;
}

/** Every way the tree breaks the rule, in words. */
export function layoutViolations({ files, scripts }: Tree): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    for (const target of importsOf(file, text)) {
      if (top(target) === 'bench' && top(file) !== 'bench') out.push(`${file} imports ${target}: nothing outside bench/ imports bench/ (move the shared piece to harness/ or test/support/)`);
      if (top(file) === 'harness' && !['harness', 'src'].includes(top(target))) out.push(`${file} imports ${target}: harness/ imports only harness/ and src/`);
      if (isTestUtil(target) && !isTest(file) && !isTestUtil(file)) out.push(`${file} imports ${target}: a *.test-util.ts serves tests only`);
    }
    if (TESTS_ONLY.some((d) => file.startsWith(d)) && !isTest(file)) out.push(`${file} is not a test: helpers of integration tests live in test/support/`);
  }
  const run = new Set(Object.values(scripts).flatMap((s) => [...s.matchAll(/\bnode (bench\/[^\s'"]+\.ts)/g)].map((m) => m[1]!)));
  for (const file of files.keys()) {
    if (file.startsWith('bench/') && file.split('/').length === 2 && !isTest(file) && !run.has(file)) out.push(`${file} is not run by an npm script: bench libraries live in bench/lib/`);
  }
  for (const entry of run) if (!(entry.split('/').length === 2 && files.has(entry))) out.push(`npm runs ${entry}: bench entry points live at bench/'s top level`);
  const globs = [...(scripts.test ?? '').matchAll(/'([^']+\.test\.ts)'/g)].map((m) => m[1]!);
  for (const file of files.keys()) if (isTest(file) && !globs.some((g) => matchesGlob(file, g))) out.push(`${file} is matched by no glob of the test script (${globs.join(' ')})`);
  return out;
}

test('the tree follows the rule for where code and test helpers live', () => {
  const files = new Map(tsFiles().map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.ok(files.has('test/layout.test.ts') && files.has('harness/src/controlplane/clusterset.ts') && files.size > 100, `the files are found under ${relative(process.cwd(), ROOT) || '.'}`);
  assert.ok(Object.keys(scripts).some((s) => s.startsWith('bench')), 'the bench scripts are found');
  assert.deepEqual(layoutViolations({ files, scripts }), []);
});

test('the checker catches every kind of misplaced file and import', () => {
  const files = new Map([
    ['test/integration/x.test.ts', "import { a } from '../../bench/lib/measure/measure.ts';\n"],
    ['test/integration/helper.ts', ''],
    ['harness/src/x.ts', "import type { K } from '../../test/support/kube.ts';\nimport { s } from '../../src/model/canonical.ts';\nimport { u } from './util/wait.ts';\n"],
    ['src/kube/x.ts', "const f = await import('./fixtures.test-util.ts');\n"],
    ['src/kube/fixtures.test-util.ts', ''],
    ['src/kube/x.test.ts', "import { f } from './fixtures.test-util.ts';\n"],
    ['bench/run.ts', "import { m } from './lib/measure/measure.ts';\n"],
    ['bench/helper.ts', ''],
    ['bench/lib/measure/measure.ts', ''],
    ['deploy/y.test.ts', ''],
  ]);
  const scripts = { bench: 'node bench/run.ts', chaos: 'node bench/lib/chaos.ts', test: "node --test 'src/**/*.test.ts' 'test/**/*.test.ts'" };
  assert.deepEqual(layoutViolations({ files, scripts }), [
    'test/integration/x.test.ts imports bench/lib/measure/measure.ts: nothing outside bench/ imports bench/ (move the shared piece to harness/ or test/support/)',
    'test/integration/helper.ts is not a test: helpers of integration tests live in test/support/',
    'harness/src/x.ts imports test/support/kube.ts: harness/ imports only harness/ and src/',
    'src/kube/x.ts imports src/kube/fixtures.test-util.ts: a *.test-util.ts serves tests only',
    'bench/helper.ts is not run by an npm script: bench libraries live in bench/lib/',
    'npm runs bench/lib/chaos.ts: bench entry points live at bench/\'s top level',
    "deploy/y.test.ts is matched by no glob of the test script (src/**/*.test.ts test/**/*.test.ts)",
  ]);
});
