// Every name the harness accepts survives its kubeconfigs: read back by the real kubectl (the
// Go loader kube-controller-manager uses, YAML 1.1 underneath), by client-node (what mcsync
// uses) and by a YAML 1.1 and a 1.2 parser, each name is the same string it was written as.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { locate } from './components.ts';
import { isClusterName } from './clusterset.ts';
import { kubeconfigText, type KubeconfigUser } from './kubeconfig.ts';
import { scratchDir } from '../util/tempdir.ts';
import { prerequisite } from '../util/prerequisite.ts';

const kubectl = locate('kubectl');
const skip = prerequisite('kubectl', kubectl ? undefined : 'none at the pinned version (npm run clusters -- build makes one)');

/** Strings YAML 1.1 or 1.2 reads as booleans, nulls, numbers or dates when left plain. */
const YAML_SPECIALS = [
  'y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~', 'Y', 'NO', 'Off', 'True', 'NULL',
  '1e3', '0x1f', '0o17', '017', '0b101', '1_000', '1.5', '.5', '.inf', '-.inf', '.nan', '1:20', '2001-12-14', '-1', '+1',
];

const dir = scratchDir('mcsync-kubeconfig-');
const caFile = join(dir, 'ca.crt');
const certFile = join(dir, 'admin.crt');
const keyFile = join(dir, 'admin.key');
// Not real certificates: the loaders carry the data through without reading it.
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
writeFileSync(certFile, '-----BEGIN CERTIFICATE-----\nadmin\n-----END CERTIFICATE-----\n');
writeFileSync(keyFile, '-----BEGIN EC PRIVATE KEY-----\nkey\n-----END EC PRIVATE KEY-----\n');
const b64 = (f: string) => execFileSync('base64', ['-w0', f], { encoding: 'utf8' });

interface Seen {
  cluster: string;
  server: string;
  ca: string;
  user: string;
  context: string;
  contextCluster: string;
  contextUser: string;
  current: string;
  token?: string;
}

interface KubeconfigJson {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { token?: string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
}

function fromJson(c: KubeconfigJson): Seen {
  return {
    cluster: c.clusters[0]!.name, server: c.clusters[0]!.cluster.server, ca: c.clusters[0]!.cluster['certificate-authority-data'],
    user: c.users[0]!.name, context: c.contexts[0]!.name, contextCluster: c.contexts[0]!.context.cluster,
    contextUser: c.contexts[0]!.context.user, current: c['current-context'],
    ...(c.users[0]!.user.token !== undefined ? { token: c.users[0]!.user.token } : {}),
  };
}

function throughKubectl(path: string): Seen {
  const out = execFileSync(kubectl!, ['config', 'view', '--kubeconfig', path, '--raw', '-o', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return fromJson(JSON.parse(out) as KubeconfigJson);
}

function throughClientNode(path: string): Seen {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const [cluster] = kc.getClusters();
  const [user] = kc.getUsers();
  const [context] = kc.getContexts();
  return {
    cluster: cluster!.name, server: cluster!.server, ca: cluster!.caData!, user: user!.name, context: context!.name,
    contextCluster: context!.cluster, contextUser: context!.user!, current: kc.getCurrentContext(),
    ...(user!.token !== undefined ? { token: user!.token } : {}),
  };
}

let written = 0;

/** Writes a kubeconfig and checks every reader gets back exactly what was written. */
function roundTrips(clusterName: string, userName: string, server: string, token?: string): void {
  const user: KubeconfigUser = token === undefined ? { name: userName, certFile, keyFile } : { name: userName, token };
  const path = join(dir, `k${written++}.kubeconfig`);
  const text = kubeconfigText(clusterName, server, caFile, user);
  writeFileSync(path, text);
  const want: Seen = {
    cluster: clusterName, server, ca: b64(caFile), user: userName, context: clusterName,
    contextCluster: clusterName, contextUser: userName, current: clusterName, ...(token !== undefined ? { token } : {}),
  };
  assert.deepEqual(throughKubectl(path), want, `kubectl reads back what was written:\n${text}`);
  assert.deepEqual(throughClientNode(path), want, 'client-node reads back what was written');
  for (const version of ['1.1', '1.2'] as const) {
    assert.deepEqual(fromJson(parse(text, { version }) as KubeconfigJson), want, `YAML ${version} reads back what was written`);
  }
}

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?$/);
/** Names from the harness's alphabet, YAML's special words and numbers among their labels. */
const acceptedName = fc
  .array(fc.oneof(fc.constantFrom(...YAML_SPECIALS), label), { minLength: 1, maxLength: 3 })
  .map((labels) => labels.join('.'))
  .filter(isClusterName);
const server = fc.oneof(
  fc.integer({ min: 1024, max: 65535 }).map((p) => `https://127.0.0.1:${p}`),
  fc.integer({ min: 1024, max: 65535 }).map((p) => `https://[::1]:${p}`),
);

test('every name the harness accepts reads back as the same string through kubectl and client-node', { skip }, () => {
  const accepted = YAML_SPECIALS.filter(isClusterName);
  assert.ok(accepted.includes('y') && accepted.includes('no') && accepted.includes('1e3') && accepted.includes('1.5'));
  fc.assert(
    fc.property(acceptedName, server, fc.boolean(), (name, url, controllerManager) => {
      // The two users the harness writes: the admin, and the controller-manager's own.
      roundTrips(name, controllerManager ? 'system:kube-controller-manager' : `${name}-admin`, url);
    }),
    { numRuns: 30, examples: accepted.map((name) => [name, 'https://127.0.0.1:6443', false] as [string, string, boolean]) },
  );
});

test('the writer quotes any string: names the harness refuses and odd tokens read back unchanged', { skip }, () => {
  const anyString = fc.oneof(fc.constantFrom(...YAML_SPECIALS, ': x', '# x', '-', '"', "'", '\\', '[a]', '{a}', '&a', '*a', '!a', '|', '>', '%', '@', '`'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }));
  fc.assert(
    fc.property(anyString, anyString, fc.option(anyString, { nil: undefined }), (name, user, token) => {
      roundTrips(name, user, 'https://127.0.0.1:6443', token);
    }),
    { numRuns: 30 },
  );
});

test('a harness server URL stays plain, so a test can rewrite its port in the text', () => {
  const text = kubeconfigText('y', 'https://127.0.0.1:6443', caFile, { name: 'y-admin', token: 't' });
  assert.match(text, /^ {4}server: https:\/\/127\.0\.0\.1:6443$/m);
  assert.match(text, /^- name: "y"$/m);
});
