// A kubeconfig file rewritten under a running client: picked up when its mtime moves (looked at
// at most once a second), or at once after a 401 even when the mtime did not move; a broken
// rewrite keeps the credentials that work. The last test runs KubeClient against a plain-http
// loopback server that accepts one token at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREDENTIAL_CHECK_MS, KubeconfigFile } from './credential-file.ts';
import { cmp } from '../model/canonical.ts';
import { KubeApiError, KubeClient } from './client.ts';

function kubeconfig(server: string, token: string): string {
  return [
    'apiVersion: v1', 'kind: Config', 'current-context: x',
    // A plain-http test server: client-node then wants TLS verification declared off.
    'clusters:', '- name: x', '  cluster:', `    server: ${server}`, '    insecure-skip-tls-verify: true',
    'users:', '- name: x', '  user:', `    token: ${token}`,
    'contexts:', '- name: x', '  context:', '    cluster: x', '    user: x',
  ].join('\n') + '\n';
}

/** Writes the file and pins its mtime, so a test decides whether the mtime moved. */
function write(path: string, text: string, mtimeSeconds: number): void {
  writeFileSync(path, text);
  utimesSync(path, mtimeSeconds, mtimeSeconds);
}

const tokenOf = (kc: { getCurrentUser(): { token?: string } | null } | undefined) => kc?.getCurrentUser()?.token;

function scratch(): string {
  return join(mkdtempSync(join(tmpdir(), 'mcsync-credential-file-')), 'kubeconfig');
}

test('a moved mtime brings the new credentials, looked at no more than once a second', () => {
  const path = scratch();
  write(path, kubeconfig('https://127.0.0.1:1', 'old'), 1_000_000);
  let now = 0;
  const { file, kc } = KubeconfigFile.open(path, undefined, () => now);
  assert.equal(tokenOf(kc), 'old');

  write(path, kubeconfig('https://127.0.0.1:1', 'new'), 1_000_005);
  now = CREDENTIAL_CHECK_MS - 1;
  assert.equal(file.changed(), undefined, 'not looked at within a second of the last look');
  now = CREDENTIAL_CHECK_MS;
  assert.equal(tokenOf(file.changed()), 'new');
  now += CREDENTIAL_CHECK_MS;
  assert.equal(file.changed(), undefined, 'once taken in, the same file is no change');

  // Touched, same text: nothing to take in.
  utimesSync(path, 1_000_009, 1_000_009);
  now += CREDENTIAL_CHECK_MS;
  assert.equal(file.changed(), undefined);
});

test('after a 401 the file is read at once, even when its mtime did not move', () => {
  const path = scratch();
  write(path, kubeconfig('https://127.0.0.1:1', 'old'), 1_000_000);
  let now = 0;
  const { file } = KubeconfigFile.open(path, undefined, () => now);
  write(path, kubeconfig('https://127.0.0.1:1', 'new'), 1_000_000);
  now = 10 * CREDENTIAL_CHECK_MS;
  assert.equal(file.changed(), undefined, 'the mtime poll cannot see this rewrite');
  assert.equal(tokenOf(file.reread()), 'new');
  assert.equal(file.reread(), undefined, 'the same text again is no change');
});

test('after a 401 a rotated token-file is read again, though the kubeconfig itself did not change', () => {
  const path = scratch();
  const tokenPath = join(path, '..', 'token');
  writeFileSync(tokenPath, 'old');
  write(path, kubeconfig('https://127.0.0.1:1', 'unused').replace('    token: unused', `    token-file: ${tokenPath}`), 1_000_000);
  const { file, kc } = KubeconfigFile.open(path, undefined, () => 0);
  assert.equal(tokenOf(kc), 'old');
  assert.equal(file.reread(), undefined, 'the same token is no change');
  writeFileSync(tokenPath, 'new');
  assert.equal(tokenOf(file.reread()), 'new');
  assert.equal(file.reread(), undefined, 'once taken in, the same token is no change');
});

test('a half-written file keeps the credentials that work, and is taken once it is whole', () => {
  const path = scratch();
  write(path, kubeconfig('https://127.0.0.1:1', 'old'), 1_000_000);
  let now = 0;
  const { file } = KubeconfigFile.open(path, undefined, () => now);
  write(path, 'apiVersion: v1\nclusters:\n- name: x\n  cluster: [', 1_000_001);
  now += CREDENTIAL_CHECK_MS;
  assert.equal(file.changed(), undefined);
  assert.equal(file.reread(), undefined);
  write(path, kubeconfig('https://127.0.0.1:1', 'new'), 1_000_002);
  now += CREDENTIAL_CHECK_MS;
  assert.equal(tokenOf(file.changed()), 'new');
});

test('a request refused with 401 is sent again with the credentials the file holds now; refused again, the 401 stands', async () => {
  let accepted = 'new';
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.headers.authorization}`);
    const ok = req.headers.authorization === `Bearer ${accepted}`;
    res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(ok ? { kind: 'Status', status: 'Success' } : { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const path = scratch();
  try {
    write(path, kubeconfig(`http://127.0.0.1:${port}`, 'old'), 1_000_000);
    const client = KubeClient.fromFile('x', path);
    // Rotated and the old token revoked, with the mtime where it was: only the 401 can tell.
    write(path, kubeconfig(`http://127.0.0.1:${port}`, 'new'), 1_000_000);
    const [a, b] = await Promise.all([client.request('GET', '/api/v1/namespaces'), client.request('POST', '/api/v1/namespaces', { body: {} })]);
    assert.deepEqual([a, b], [{ kind: 'Status', status: 'Success' }, { kind: 'Status', status: 'Success' }]);
    assert.deepEqual([...seen].sort(cmp), ['GET Bearer new', 'GET Bearer old', 'POST Bearer new', 'POST Bearer old']);

    // A watch refused with 401 fails (the reflector retries it); the file is read at once, so
    // the retry carries what it holds now.
    seen.length = 0;
    write(path, kubeconfig(`http://127.0.0.1:${port}`, 'watch'), 1_000_000);
    accepted = 'watch';
    const watch = () => client.watch('/api/v1/namespaces', {}, () => {}, new AbortController().signal);
    await assert.rejects(watch(), (err: unknown) => err instanceof KubeApiError && err.status === 401);
    await watch();
    assert.deepEqual(seen, ['GET Bearer new', 'GET Bearer watch']);

    seen.length = 0;
    accepted = 'newer';
    await assert.rejects(client.request('GET', '/api/v1/namespaces'), (err: unknown) => err instanceof KubeApiError && err.status === 401);
    assert.deepEqual(seen, ['GET Bearer watch'], 'nothing new in the file: not sent twice');
    client.close();
  } finally {
    server.close();
  }
});
