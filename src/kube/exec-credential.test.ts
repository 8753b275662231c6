// The exec-credential source against real plugin processes (small Node scripts): what the
// plugin is given, how long an answer is kept, what a 401 drops, and errors that name the
// profile and provider but never a token.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecCredentialError, ExecCredentialSource, scrub, type ExecTarget } from './exec-credential.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcsync-exec-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A plugin that counts its runs in a file, writes what it was given next to it, and prints
 * token-N expiring at EXPIRES (when set).
 */
function plugin(name: string, body?: string): { target: (over?: Partial<ExecTarget>) => ExecTarget; runs: () => number; input: () => unknown } {
  const script = join(dir, `${name}.mjs`);
  const count = join(dir, `${name}.count`);
  const seen = join(dir, `${name}.input.json`);
  writeFileSync(count, '0');
  writeFileSync(script, body ?? `
    import { readFileSync, writeFileSync } from 'node:fs';
    const n = Number(readFileSync(${JSON.stringify(count)}, 'utf8')) + 1;
    writeFileSync(${JSON.stringify(count)}, String(n));
    writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ info: JSON.parse(process.env.KUBERNETES_EXEC_INFO), extra: process.env.EXTRA ?? null, args: process.argv.slice(2) }));
    const status = { token: 'token-' + n };
    if (process.env.EXPIRES) status.expirationTimestamp = process.env.EXPIRES;
    process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }));
  `);
  return {
    target: (over = {}) => ({
      cluster: 'east',
      profile: 'fleet/east',
      provider: 'secretreader',
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [script, '--flag'], env: [{ name: 'EXTRA', value: 'x' }], provideClusterInfo: true },
      clusterInfo: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=', config: { clusterName: 'east' } },
      timeoutMs: 10_000,
      ...over,
    }),
    runs: () => Number(readFileSync(count, 'utf8')),
    input: () => JSON.parse(readFileSync(seen, 'utf8')),
  };
}

test('the plugin gets an ExecCredential with the cluster in KUBERNETES_EXEC_INFO, its args and env, and its token is used', async () => {
  const p = plugin('input');
  const src = new ExecCredentialSource(p.target());
  const cred = await src.get();
  assert.equal(cred.token, 'token-1');
  assert.equal(cred.expiresAt, undefined);
  assert.deepEqual(p.input(), {
    info: {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=', config: { clusterName: 'east' } } },
    },
    extra: 'x',
    args: ['--flag'],
  });
});

test('without provideClusterInfo the plugin is not told the cluster', async () => {
  const p = plugin('noinfo');
  const t = p.target();
  await new ExecCredentialSource({ ...t, exec: { ...t.exec, provideClusterInfo: false } }).get();
  assert.deepEqual((p.input() as { info: unknown }).info, { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
});

test('an answer is kept until its expirationTimestamp, then the plugin runs again', async () => {
  const p = plugin('expiry');
  let now = Date.parse('2030-01-01T00:00:00Z');
  const t = p.target();
  const src = new ExecCredentialSource({ ...t, exec: { ...t.exec, env: [{ name: 'EXPIRES', value: '2030-01-01T00:10:00Z' }] } }, () => now);
  assert.equal((await src.get()).token, 'token-1');
  now += 9 * 60_000;
  assert.equal((await src.get()).token, 'token-1', 'kept before it expires');
  assert.equal(p.runs(), 1);
  now += 60_000;
  assert.equal((await src.get()).token, 'token-2', 'run again once expired');
  assert.equal(p.runs(), 2);
});

test('a 401 drops the answer the refused request carried, and only that one', async () => {
  const p = plugin('unauthorized');
  const src = new ExecCredentialSource(p.target());
  const first = await src.get();
  src.invalidate(first.generation);
  const second = await src.get();
  assert.equal(second.token, 'token-2');
  // A second request refused with the first token, answered late: the newer token stays.
  src.invalidate(first.generation);
  assert.equal((await src.get()).token, 'token-2');
  assert.equal(p.runs(), 2);
});

test('requests that need a credential at once share one run of the plugin', async () => {
  const p = plugin('shared');
  const src = new ExecCredentialSource(p.target());
  const all = await Promise.all([src.get(), src.get(), src.get()]);
  assert.deepEqual(all.map((c) => c.token), ['token-1', 'token-1', 'token-1']);
  assert.equal(p.runs(), 1);
});

test('a plugin that hangs is stopped after the timeout, with an error naming cluster, profile and provider', async () => {
  const p = plugin('hang', 'setInterval(() => {}, 1000);');
  const src = new ExecCredentialSource(p.target({ timeoutMs: 300 }));
  await assert.rejects(src.get(), (err: Error) => {
    assert.ok(err instanceof ExecCredentialError);
    assert.equal(err.message, 'cluster east: credential plugin of access provider "secretreader" (ClusterProfile fleet/east) did not answer within 0.3s and was stopped');
    return true;
  });
});

test('a failing plugin\'s error keeps its last stderr line, without anything token-like', async () => {
  const p = plugin('fail', `process.stderr.write('reading secret\\nfailed: token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln was refused; Bearer abc123\\n'); process.exit(3);`);
  await assert.rejects(new ExecCredentialSource(p.target()).get(), (err: Error) => {
    assert.equal(err.message, 'cluster east: credential plugin of access provider "secretreader" (ClusterProfile fleet/east) failed (exit code 3): failed: token [redacted] was refused; Bearer [redacted]');
    return true;
  });
});

test('a plugin that is not there, or prints no ExecCredential of the version asked for, is named with the reason', async () => {
  const t = plugin('absent').target();
  await assert.rejects(new ExecCredentialSource({ ...t, exec: { ...t.exec, command: join(dir, 'no-such-plugin'), args: [] } }).get(),
    /cluster east: credential plugin of access provider "secretreader" \(ClusterProfile fleet\/east\) could not be started: .*no-such-plugin: not found$/);
  const cases: [string, RegExp][] = [
    [`process.stdout.write('hello')`, /its output is not JSON$/],
    [`process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 'secret-token' } }))`, /apiVersion is "client.authentication.k8s.io\/v1beta1", the provider file asks for client.authentication.k8s.io\/v1$/],
    [`process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: {} }))`, /neither a token nor a client certificate$/],
    [`process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'secret-token', expirationTimestamp: 'soon' } }))`, /expirationTimestamp is not an RFC 3339 time$/],
  ];
  for (const [i, [body, want]] of cases.entries()) {
    await assert.rejects(new ExecCredentialSource(plugin(`bad-${i}`, body).target()).get(), (err: Error) => {
      assert.match(err.message, want);
      assert.doesNotMatch(err.message, /secret-token/);
      return true;
    });
  }
});

test('scrub takes out the last token, JWTs, bearer tokens, token fields and PEM blocks', () => {
  assert.equal(scrub('old tok-123 refused', { token: 'tok-123' }), 'old [redacted] refused');
  assert.equal(scrub('{"token":"abc"}'), '{"token":"[redacted]"}');
  assert.equal(scrub('key -----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY----- end'), 'key [redacted] end');
});
