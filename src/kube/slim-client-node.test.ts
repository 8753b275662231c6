import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GENERATED_IMPORTS, isGeneratedClientImport } from './slim-client-node.ts';

const packageDir = dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node/package.json'));

test('the stand-in exports exactly what the installed client-node config.js imports from its generated client', () => {
  const source = readFileSync(join(packageDir, 'dist', 'config.js'), 'utf8');
  const m = /import\s*\{([^}]*)\}\s*from\s*'\.\/gen\/index\.js'/.exec(source);
  assert.ok(m, 'config.js imports the generated client by that path: if it moved, the hook no longer matches and must follow');
  const names = m[1]!.split(',').map((s) => s.trim()).filter(Boolean).sort();
  assert.deepEqual(names, [...GENERATED_IMPORTS].sort());
});

test('only config.js asking for ./gen/index.js is redirected', () => {
  const config = `file://${join(packageDir, 'dist', 'config.js')}`;
  assert.equal(isGeneratedClientImport('./gen/index.js', config), true);
  assert.equal(isGeneratedClientImport('./gen/index.js', `file://${join(packageDir, 'dist', 'index.js')}`), false);
  assert.equal(isGeneratedClientImport('./gen/rxjsStub.js', config), false);
  assert.equal(isGeneratedClientImport('./gen/index.js', undefined), false);
});

test('with the hook, KubeConfig loads and authenticates without one module of the generated client', () => {
  // A fresh process: this one may already have loaded client-node whole.
  const script = `
    import { registerHooks } from 'node:module';
    import { slimClientNode } from ${JSON.stringify(new URL('./slim-client-node.ts', import.meta.url).href)};
    const loaded = [];
    slimClientNode();
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
    const kc = new KubeConfig();
    kc.loadFromString(JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
      clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:6443' } }],
      users: [{ name: 'x', user: { token: 'secret' } }],
      contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
    }));
    const opts = {};
    await kc.applyToHTTPSOptions(opts);
    let refused = '';
    try { kc.makeApiClient(class {}); } catch (e) { refused = e.message; }
    console.log(JSON.stringify({
      generated: loaded.filter((u) => u.includes('/client-node/dist/gen/') && !u.endsWith('/gen/rxjsStub.js')),
      authorized: opts.headers?.Authorization === 'Bearer secret',
      refused,
    }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' })) as { generated: string[]; authorized: boolean; refused: string };
  assert.deepEqual(out.generated, []);
  assert.equal(out.authorized, true);
  assert.match(out.refused, /without its generated API client/);
});
