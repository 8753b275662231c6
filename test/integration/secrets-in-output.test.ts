// Credentials never reach output: every command, at its most verbose, against clusters reached
// with a client certificate and with a bearer token, prints none of the key, certificate or
// token material — not on stdout, not in the logs on stderr, not in errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startController } from '../../harness/src/mcsync/controller.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { restrictedKubeconfig } from '../support/kube.ts';

let set: ClusterSet;
let secrets: string[];
let cfg: string;
let tokenKubeconfigPath: string;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  const pods = new Pods(set.get('a'));
  await pods.ensureNamespace('shh');
  await pods.core.createNamespacedService({ namespace: 'shh', body: { metadata: { name: 'q' }, spec: { selector: { app: 'q' }, ports: [{ port: 80 }] } } });
  await pods.create({ namespace: 'shh', name: 'q-0', labels: { app: 'q' } });
  const tokenKubeconfig = await restrictedKubeconfig(set.get('b'), 'all-verbs', [
    { apiGroups: ['', 'discovery.k8s.io', 'authorization.k8s.io'], resources: ['*'], verbs: ['*'] },
  ], `${scratchDir()}/b-token.kubeconfig`);
  tokenKubeconfigPath = tokenKubeconfig;
  const users = (path: string) => (parse(readFileSync(path, 'utf8')) as { users: { user: Record<string, string> }[] }).users.map((u) => u.user);
  const certUser = users(set.get('a').kubeconfigPath)[0]!;
  const tokenUser = users(tokenKubeconfig)[0]!;
  const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  // The raw values, their decoded PEM bodies, and recognisable slices of each.
  const keyPem = pem(certUser['client-key-data']!);
  const certPem = pem(certUser['client-certificate-data']!);
  const body = (p: string) => p.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  secrets = [tokenUser.token!, tokenUser.token!.slice(0, 40), certUser['client-key-data']!.slice(0, 40), body(keyPem).slice(0, 40), body(certPem).slice(0, 40)];
  cfg = writeConfig(['clusters:', '- name: a', `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', '  - namespace: shh', '- name: b', `  kubeconfig: ${tokenKubeconfig}`].join('\n') + '\n');
});

after(() => set?.down());

function clean(what: string, text: string): void {
  assert.ok(text.length > 0, `${what} printed something to check`);
  for (const s of secrets) assert.ok(!text.includes(s), `${what} printed credential material`);
  assert.doesNotMatch(text, /BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/, `${what} printed PEM`);
}

test('sync, plan, status, doctor and prune at debug level print no credential', async () => {
  for (const args of [['sync', '--debug'], ['plan', '--log-level', 'trace', '-o', 'json'], ['status', '--log-level', 'trace', '-o', 'yaml'], ['doctor', '--log-level', 'trace'], ['prune', '--log-level', 'trace']]) {
    const r = await runMcsync([...args, '--config', cfg]);
    clean(`mcsync ${args[0]}`, r.stdout + r.stderr);
  }
});

test('run at trace level, and a failure to reach a cluster, print no credential', async () => {
  const ctl = await startController(['--config', cfg, '--log-level', 'trace']);
  await ctl.ready();
  const status = (await ctl.get('/status')).text;
  await ctl.stop();
  clean('mcsync run', ctl.raw + status);
  const dead = writeConfig(readFileSync(set.get('a').kubeconfigPath, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9'), 'dead.kubeconfig');
  const broken = writeConfig(['clusters:', '- name: a', `  kubeconfig: ${dead}`, '  services:', '  - namespace: shh'].join('\n') + '\n');
  const r = await runMcsync(['sync', '--debug', '--config', broken]);
  assert.equal(r.code, 2);
  clean('an unreachable cluster\'s error', r.stdout + r.stderr);
});

test('an exec credential plugin authenticates, its token stays out of the output, and its failure is named', async () => {
  const token = (parse(readFileSync(tokenKubeconfigPath, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token;
  const dir = scratchDir('mcsync-exec-');
  const plugin = `${dir}/get-token.sh`;
  writeFileSync(plugin, `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' '${token}'\n`, { mode: 0o755 });
  const failing = `${dir}/broken.sh`;
  writeFileSync(failing, '#!/bin/sh\necho "the identity provider is down" >&2\nexit 1\n', { mode: 0o755 });
  const withExec = (command: string) => {
    const kc = parse(readFileSync(tokenKubeconfigPath, 'utf8')) as { users: { user: Record<string, unknown> }[] };
    kc.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' } };
    const path = `${dir}/${command.endsWith('broken.sh') ? 'broken' : 'exec'}.kubeconfig`;
    writeFileSync(path, stringify(kc));
    return path;
  };
  const config = (kubeconfig: string) => writeConfig(['clusters:', '- name: a', `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', '  - namespace: shh', '- name: b', `  kubeconfig: ${kubeconfig}`].join('\n') + '\n');
  const ok = await runMcsync(['sync', '--debug', '--config', config(withExec(plugin))]);
  assert.equal(ok.code, 0, ok.stderr);
  clean('a sync authenticated by an exec plugin', ok.stdout + ok.stderr);
  const bad = await runMcsync(['sync', '--config', config(withExec(failing))]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /cluster b .*cannot get credentials/);
  clean('a failing exec plugin', bad.stdout + bad.stderr);
});
