// The layering rule of docs/architecture.md, checked on every import in src/: a layer may import
// its own layer and the layers below it, never one above. Type-only imports count too: a type
// from a higher layer is a dependency on that layer's design.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = dirname(fileURLToPath(import.meta.url));

/** Lowest first. server sits beside engine: neither imports the other; cli wires them. */
const RANK: Record<string, number> = { vocab: 0, 'version.ts': 0, config: 1, model: 2, kube: 3, engine: 4, server: 4, cli: 5 };

function layerOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.includes('.test-util.') ? [p] : [];
  });
}

function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

/** Every import that breaks the rule, in words; `files` maps absolute paths to their text. */
function violations(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file);
    if (!(from in RANK)) {
      out.push(`${relative(SRC, file)} is in no known layer; add its directory to RANK and docs/architecture.md`);
      continue;
    }
    for (const target of importsOf(file, text)) {
      const to = layerOf(target);
      if (!target.startsWith(SRC + '/')) out.push(`${relative(SRC, file)} imports ${relative(SRC, target)}, outside src/`);
      else if (to !== from && !(RANK[to]! < RANK[from]!)) out.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to})`);
    }
  }
  return out;
}

test('every import in src/ points to the same layer or a lower one', () => {
  const files = new Map(sourceFiles(SRC).map((f) => [f, readFileSync(f, 'utf8')]));
  assert.ok(files.size > 20, 'the source files are found');
  assert.deepEqual(violations(files), []);
});

test('the checker catches upward, type-only and dynamic imports, and files outside every layer', () => {
  const at = (p: string) => join(SRC, p);
  const found = violations(new Map([
    [at('model/x.ts'), "import { a } from '../engine/y.ts';\n"],
    [at('config/x.ts'), "import type { B } from '../model/types.ts';\n"],
    [at('kube/x.ts'), "const m = await import('../cli/main.ts');\n"],
    [at('engine/x.ts'), "import { ok } from '../kube/client.ts';\nimport { v } from '../vocab/keys.ts';\nimport { s } from './y.ts';\n"],
    [at('stray/x.ts'), ''],
  ]));
  assert.deepEqual(found, [
    'model/x.ts (model) imports engine/y.ts (engine)',
    'config/x.ts (config) imports model/types.ts (model)',
    'kube/x.ts (kube) imports cli/main.ts (cli)',
    'stray/x.ts is in no known layer; add its directory to RANK and docs/architecture.md',
  ]);
});
