// What connecting says when it fails before any request is sent: these never reach an
// apiserver, so no cluster is started (the ones that do are test/integration/*).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { clientFor, connectAvailable, dropSharedIds } from './clusters.ts';
import { cluster } from '../model/fixtures.test-util.ts';
import { hubClient } from './inventory.ts';
import { describeFailure } from './doctor/failure.ts';
import { KubeConnectionError } from '../kube/client.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcsync-connect-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, cluster: string): void {
  writeFileSync(join(dir, name), [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: c, cluster: ${cluster}}]`,
    'users: [{name: u, user: {token: secret-token}}]',
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
  ].join('\n'));
}

function configWith(kube: string): ReturnType<typeof loadConfig> {
  const file = join(dir, `mcsync-${kube}.yaml`);
  writeFileSync(file, `clusters:\n- name: a\n  kubeconfig: ${kube}\n`);
  return loadConfig(file);
}

test('a certificate-authority file that is not there is named with its field, not blamed on an exec plugin, and nothing is contacted', async () => {
  // A port on loopback: were anything sent, the failure would be "refused", not the file.
  kubeconfig('ca.yaml', '{server: "https://127.0.0.1:1", certificate-authority: no-such-ca.crt}');
  const { unavailable } = await connectAvailable(configWith('ca.yaml'));
  const f = unavailable[0]!;
  assert.equal(f.kind, 'credential-file');
  assert.equal(f.issue.field, 'clusters[0].kubeconfig');
  assert.equal(f.issue.message, `cluster a was not contacted (no request sent to https://127.0.0.1:1): certificate-authority file ${join(dir, 'no-such-ca.crt')} named in the kubeconfig cannot be read (ENOENT)`);
  const doctor = describeFailure(new KubeConnectionError(f.kind as 'credential-file', f.message));
  assert.doesNotMatch(doctor.message, /exec plugin|get-token/);
  assert.match(doctor.message, /fix the path in the kubeconfig/);
  assert.doesNotMatch(JSON.stringify(f), /secret-token/);
});

test('a server that is not a URL is named, not "Invalid URL"', async () => {
  kubeconfig('server.yaml', '{server: "127.0.0.1 port 6443"}');
  const { unavailable } = await connectAvailable(configWith('server.yaml'));
  assert.match(unavailable[0]!.issue.message, /^cluster a: cannot use kubeconfig .*server\.yaml: kubeconfig for a: server "127\.0\.0\.1 port 6443" of the current context's cluster is not an https:\/\/ URL \(write server: https:\/\/HOST:PORT\)$/);
});

test('no kubeconfig outside a pod: says to write one, not "Invalid URL"', () => {
  const file = join(dir, 'in-cluster.yaml');
  writeFileSync(file, 'clusters:\n- name: a\n');
  const a = loadConfig(file).clusters[0]!;
  assert.throws(() => clientFor(a, {}, {}), /not running in a Kubernetes pod \(KUBERNETES_SERVICE_HOST is not set\): give the cluster a kubeconfig: PATH/);
});

test('an inventory hub without kubeconfig outside a pod: says to give inventory.hub one', () => {
  const file = join(dir, 'hub-in-cluster.yaml');
  writeFileSync(join(dir, 'providers.json'), JSON.stringify({ providers: [{ name: 'p', execConfig: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh' } }] }));
  writeFileSync(file, 'inventory:\n  hub: {}\n  namespace: fleet\n  providerFile: providers.json\n');
  const inv = loadConfig(file).inventory!;
  assert.equal(inv.hubInCluster, true);
  assert.throws(() => hubClient(inv, {}), /not running in a Kubernetes pod \(KUBERNETES_SERVICE_HOST is not set\): give inventory\.hub a kubeconfig: PATH/);
});

test('two clusters claiming one id keep their names as ids, and so does one whose id is then another\'s name', () => {
  const clusters = [cluster('a', [], { id: 'x' }), cluster('b', [], { id: 'x' }), cluster('c', [], { id: 'a' }), cluster('d', [], { id: 'y' })];
  dropSharedIds(clusters);
  assert.deepEqual(clusters.map((c) => c.id), [undefined, undefined, undefined, 'y']);
});
