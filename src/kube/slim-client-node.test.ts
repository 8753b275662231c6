import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { STANDS_IN_FOR, standInFor } from './slim-client-node.ts';

const packageDir = dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node/package.json'));
const configUrl = `file://${join(packageDir, 'dist', 'config.js')}`;

test('each stand-in exports exactly what the installed client-node config.js imports from that module', () => {
  const source = readFileSync(join(packageDir, 'dist', 'config.js'), 'utf8');
  for (const [specifier, names] of Object.entries(STANDS_IN_FOR)) {
    const m = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*'${specifier.replace(/[./]/g, '\\$&')}'`).exec(source);
    assert.ok(m, `config.js imports ${specifier}: if that changed, the hook no longer matches and must follow`);
    const imported = m[1]!.split(',').map((s) => s.trim().split(/\s+as\s+/)[0]!).filter(Boolean).sort();
    assert.deepEqual(imported, [...names].sort(), specifier);
  }
});

test('only config.js asking for those modules gets a stand-in', () => {
  assert.ok(standInFor('./gen/index.js', configUrl));
  assert.ok(standInFor('undici', configUrl));
  assert.equal(standInFor('./gen/index.js', `file://${join(packageDir, 'dist', 'index.js')}`), undefined);
  assert.equal(standInFor('undici', 'file:///elsewhere/main.js'), undefined);
  assert.equal(standInFor('./gen/rxjsStub.js', configUrl), undefined);
  assert.equal(standInFor('./gen/index.js', undefined), undefined);
});

test('with the hook, KubeConfig loads and authenticates without the generated client or undici', () => {
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
      skipped: loaded.filter((u) => (u.includes('/client-node/dist/gen/') && !u.endsWith('/gen/rxjsStub.js')) || u.includes('/node_modules/undici/')),
      authorized: opts.headers?.Authorization === 'Bearer secret',
      refused,
    }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' })) as { skipped: string[]; authorized: boolean; refused: string };
  assert.deepEqual(out.skipped, []);
  assert.equal(out.authorized, true);
  assert.match(out.refused, /without \.\/gen\/index\.js/);
});
