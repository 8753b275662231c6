// `kubectl mcsync …` through the real kubectl the harness builds, with the compiled CLI on PATH
// the way `npm install -g` puts it there: links named mcsync, kubectl-mcsync and
// kubectl_complete-mcsync to dist/src/cli/main.js. Two clusters: a exports a Service with a
// pod, b receives it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { ensureComponents } from '../../harness/src/controlplane/components.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { runToEnd, type RunResult } from '../../harness/src/util/process.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { apis, serviceWithPod, sourceSettled } from '../support/kube.ts';
import { ok } from '../support/mcsync.ts';

const built = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

let set: ClusterSet;
let kubectl: string;
let bin: string;
let cfg: string;

/** What a shell with the plugin installed has on PATH: the links, and Node 24 for their shebang. */
function env(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter), NO_COLOR: '1' };
}

const viaKubectl = (args: string[]): Promise<RunResult> => runToEnd(kubectl, args, env());
const direct = (args: string[]): Promise<RunResult> => runToEnd(join(bin, 'mcsync'), args, env());

before(async () => {
  assert.ok(existsSync(built), `${built} is missing: run \`npm run build\` first`);
  // npm install -g marks every bin executable; tsc does not.
  chmodSync(built, 0o755);
  bin = scratchDir('mcsync-plugin-bin-');
  for (const name of ['mcsync', 'kubectl-mcsync', 'kubectl_complete-mcsync']) symlinkSync(built, join(bin, name));
  ({ kubectl } = await ensureComponents(['kubectl']));
  set = await startClusterSet({ names: ['a', 'b'] });
  await serviceWithPod(new Pods(set.get('a')), 'shop', 'cart');
  await sourceSettled(apis(set.get('a')), 'shop', 'cart', 1);
  cfg = writeConfig(['instance: plugin', 'clusters:',
    `- name: a`, `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', '  - namespace: shop',
    `- name: b`, `  kubeconfig: ${set.get('b').kubeconfigPath}`].join('\n') + '\n');
  ok(await direct(['sync', '--config', cfg]));
});

after(() => set?.down());

test('kubectl plugin list finds kubectl-mcsync on PATH', async () => {
  const r = ok(await viaKubectl(['plugin', 'list']));
  assert.ok(r.stdout.split('\n').includes(join(bin, 'kubectl-mcsync')), r.stdout);
});

test('kubectl mcsync status -o json prints what mcsync status -o json prints', async () => {
  const args = ['status', '--config', cfg, '-o', 'json'];
  const plugin = ok(await viaKubectl(['mcsync', ...args]));
  assert.equal(plugin.stdout, ok(await direct(args)).stdout);
  const { services } = JSON.parse(plugin.stdout) as { services: { namespace: string; name: string; destinations: { cluster: string; state: string }[] }[] };
  assert.deepEqual(services.map((s) => [s.namespace, s.name, s.destinations]), [['shop', 'cart', [{ cluster: 'b', state: 'in-sync' }]]]);
});

test('kubectl mcsync status -o wide prints mcsync\'s wide table, one column more than the default', async () => {
  const args = ['status', '--config', cfg, '-o', 'wide'];
  const plugin = ok(await viaKubectl(['mcsync', ...args]));
  assert.equal(plugin.stdout, ok(await direct(args)).stdout);
  const header = (text: string) => text.split('\n', 1)[0]!.split(/\s{2,}/);
  assert.deepEqual(header(plugin.stdout), ['NAMESPACE', 'SERVICE', 'SOURCES', 'READY/TOTAL', 'DESTINATION', 'STATE', 'CONFLICTS', 'DETAIL']);
  assert.deepEqual(header(ok(await direct(['status', '--config', cfg])).stdout), ['NAMESPACE', 'SERVICE', 'SOURCES', 'READY/TOTAL', 'DESTINATION', 'STATE', 'DETAIL']);
  assert.match(plugin.stdout, /^shop\s+cart\s+a\s+1\/1\s+b\s+in-sync\s*$/m);
});

test('as a plugin, help and usage errors name the command `kubectl mcsync`', async () => {
  const help = ok(await viaKubectl(['mcsync', 'status', '--help']));
  assert.match(help.stdout, /^Usage: kubectl mcsync status \[options\]/);
  const bad = await viaKubectl(['mcsync', 'status', '--config', cfg, '-o', 'xml']);
  assert.equal(bad.code, 64, 'a usage error has its own code, and kubectl passes it through');
  assert.match(bad.stderr, /argument 'xml' is invalid\. Allowed choices are table, wide, json, yaml/);
  assert.match(bad.stderr, /^Usage: kubectl mcsync status \[options\]/m);
});

test('exit codes pass through kubectl: 2 for a config that cannot be read, before anything is contacted', async () => {
  const missing = join(bin, 'no-such.yaml');
  const plugin = await viaKubectl(['mcsync', 'status', '--config', missing]);
  assert.equal(plugin.code, 2, plugin.stderr);
  assert.equal((await direct(['status', '--config', missing])).code, 2);
});

test('kubectl completes `kubectl mcsync` through kubectl_complete-mcsync', async () => {
  const lines = (r: RunResult) => ok(r).stdout.trimEnd().split('\n').map((l) => l.split('\t')[0]);
  assert.deepEqual(lines(await viaKubectl(['__complete', 'mcsync', 'st'])), ['status', ':4']);
  assert.deepEqual(lines(await viaKubectl(['__complete', 'mcsync', 'status', '-o', ''])), ['table', 'wide', 'json', 'yaml', ':4']);
  assert.deepEqual(lines(await viaKubectl(['__complete', 'mcsync', 'sync', '--config', ''])), [':0'], 'a file name: the shell completes paths');
});

test('--cluster limits status to the replicas in that cluster; a name not in the config is exit 2', async () => {
  const services = async (cluster: string) => (JSON.parse(ok(await viaKubectl(['mcsync', 'status', '--config', cfg, '--cluster', cluster, '-o', 'json'])).stdout) as { services: { name: string }[] }).services.map((s) => s.name);
  assert.deepEqual(await services('b'), ['cart'], 'b receives cart');
  assert.deepEqual(await services('a'), [], 'a is cart\'s source and receives nothing');
  const unknown = await viaKubectl(['mcsync', 'status', '--config', cfg, '--cluster', 'z']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--cluster z is not in /);
});
