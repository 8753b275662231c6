// The inventory block as it loads (provider file included), and ClusterProfiles into clusters:
// provider choice, the profile's extensions, labels, health, rules and the joined config.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, parseConfigText } from './load.ts';
import { execFor, joinInventory, profileLabels, profileToCluster } from './inventory.ts';
import { parseProviderFile } from './provider-file.ts';
import type { AccessProviderConfig, Config } from './types.ts';
import type { ClusterProfile } from '../vocab/inventory.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcsync-inventory-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PLUGIN = join(dir, 'bin', 'secretreader-plugin');
mkdirSync(join(dir, 'bin'));
writeFileSync(PLUGIN, '#!/bin/sh\nexit 0\n');
chmodSync(PLUGIN, 0o755);

const PROVIDERS = JSON.stringify({
  providers: [
    { name: 'secretreader', execConfig: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/secretreader-plugin', args: null, env: null, provideClusterInfo: true }, profileSourcedCLIArgsPolicy: 'Append', profileSourcedEnvVarsPolicy: 'AppendIfNotExists' },
    { name: 'gke', execConfig: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: PLUGIN, args: ['--gke'] } },
  ],
}, null, 2);
writeFileSync(join(dir, 'providers.json'), PROVIDERS);

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;
const FILE = join(dir, 'mcsync.yaml');

function load(text: string): Config {
  return parseConfigText(text, FILE, { checkKubeconfigs: false });
}

function errorOf(text: string): string {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return assert.fail('expected a ConfigError');
}

const INVENTORY_ONLY = lines(
  'inventory:',
  '  hub: { kubeconfig: hub.yaml }',
  '  namespace: fleet',
  '  providerFile: providers.json',
  '  rules:',
  '  - match: { labelSelector: "region=eu" }',
  '    services: [{ namespace: shop }]',
  '    replicaLabels: { from: eu }',
  '  - match: { nameMatches: ["edge-"] }',
);

test('a config with only an inventory loads: hub, namespace, providers with their plugins found, rules', () => {
  const c = load(INVENTORY_ONLY);
  assert.deepEqual(c.clusters, []);
  const inv = c.inventory!;
  assert.equal(inv.hubKubeconfig, join(dir, 'hub.yaml'));
  assert.equal(inv.namespace, 'fleet');
  assert.equal(inv.execTimeoutMs, 30_000);
  assert.deepEqual(inv.providers.map((p) => [p.name, p.exec.command, p.exec.apiVersion, p.argsPolicy, p.envsPolicy]), [
    ['secretreader', PLUGIN, 'client.authentication.k8s.io/v1', 'Append', 'AppendIfNotExists'],
    ['gke', PLUGIN, 'client.authentication.k8s.io/v1beta1', 'Ignore', 'Ignore'],
  ]);
  assert.equal(inv.rules.length, 2);
  assert.equal(inv.rules[0]!.exports[0]!.exportToAll, true);
  assert.deepEqual(inv.rules[0]!.pos, { file: FILE, line: 6, field: 'inventory.rules[0]' });
});

test('without clusters or an inventory the config says what it needs', () => {
  assert.equal(errorOf('instance: x\n'), `${FILE}:1: clusters: missing required field "clusters" (or an inventory that gives the clusters)`);
});

test('with an inventory, exportTo may name a cluster the file does not list (checked when the inventory is read)', () => {
  const c = load(lines('clusters:', '- name: a', '  services: [{ exportTo: [east] }]', INVENTORY_ONLY));
  assert.deepEqual(c.clusters[0]!.exports[0]!.exportTo, ['east']);
  assert.equal(c.clusters[0]!.exports[0]!.exportToAll, undefined);
});

test('inventory mistakes are reported at their line: selectors, a provider file that is missing or wrong', () => {
  assert.match(errorOf(INVENTORY_ONLY.replace('region=eu', 'region in (')), new RegExp(`^${FILE}:6: inventory\\.rules\\[0\\]\\.match\\.labelSelector: invalid label selector "region in \\(": `));
  assert.equal(errorOf(INVENTORY_ONLY.replace('providers.json', 'nope.json')), `${FILE}:4: inventory.providerFile: provider file nope.json (${join(dir, 'nope.json')}) not found`);
  writeFileSync(join(dir, 'broken.json'), '{"providers": [{"name": "x"}]}');
  assert.equal(errorOf(INVENTORY_ONLY.replace('providers.json', 'broken.json')), [
    `${join(dir, 'broken.json')}:1: providers[0]: provider "x" has no execConfig object`.replace('providers[0]:', 'providers[0].execConfig:'),
    `${FILE}:4: inventory.providerFile: provider file broken.json (${join(dir, 'broken.json')}) cannot be used: a problem in it, each reported with its own line`,
  ].join('\n'));
  assert.match(errorOf(INVENTORY_ONLY.replace('  rules:', '  rulez:')), /inventory\.rulez: unknown key "rulez"; did you mean "rules"\?/);
});

test('the provider file: plugin not found, unknown policy, wrong apiVersion, duplicates and Always are named at their line', () => {
  const text = lines(
    '{"providers": [',
    ' {"name": "a", "execConfig": {"apiVersion": "client.authentication.k8s.io/v1", "command": "./missing"}},',
    ' {"name": "b", "execConfig": {"apiVersion": "v1", "command": "/bin/sh"}, "profileSourcedCLIArgsPolicy": "Prepend"},',
    ' {"name": "b", "execConfig": {"apiVersion": "client.authentication.k8s.io/v1", "command": "/bin/sh"}},',
    ' {"name": "c", "execConfig": {"apiVersion": "client.authentication.k8s.io/v1", "command": "no-such-plugin-anywhere", "interactiveMode": "Always"}}',
    ']}',
  );
  const got = parseProviderFile(text, join(dir, 'p.json'), 'p.json', { PATH: '/nonexistent' });
  assert.ok('issues' in got);
  assert.deepEqual(got.issues.map((i) => `${i.line}: ${i.field}: ${i.message}`), [
    `2: providers[0].execConfig.command: plugin of provider "a" was not found: ${join(dir, 'missing')} is not an executable file`,
    '3: providers[1].execConfig.apiVersion: must be one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1',
    '3: providers[1].profileSourcedCLIArgsPolicy: must be one of Append, Ignore',
    '4: providers[2].name: duplicate provider "b" (already providers[1])',
    '5: providers[3].execConfig.command: plugin of provider "c" was not found: no executable "no-such-plugin-anywhere" on PATH',
    '5: providers[3].execConfig.interactiveMode: is Always, but mcsync runs plugins without a terminal (use Never or IfAvailable)',
  ]);
  const empty = parseProviderFile('{"providers": []}', join(dir, 'p.json'), 'p.json');
  assert.ok('issues' in empty && empty.issues[0]!.message.startsWith('is empty'));
});

function profile(name: string, over: Partial<NonNullable<ClusterProfile['status']>> = {}, labels?: Record<string, string>): ClusterProfile {
  return {
    metadata: { name, namespace: 'fleet', ...(labels ? { labels } : {}) },
    spec: { displayName: name, clusterManager: { name: 'open-cluster-management' } },
    status: {
      conditions: [{ type: 'ControlPlaneHealthy', status: 'True', reason: 'Healthy', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      properties: [{ name: 'region', value: 'eu' }, { name: 'cluster.clusterset.k8s.io', value: name }, { name: 'not a key', value: 'x' }],
      accessProviders: [{ name: 'secretreader', cluster: { server: `https://${name}.example:6443`, 'certificate-authority-data': 'Q0E=', extensions: [
        { name: 'client.authentication.k8s.io/exec', extension: { clusterName: name } },
        { name: 'clusterprofiles.multicluster.x-k8s.io/exec/additional-args', extension: ['--cluster', name] },
        { name: 'clusterprofiles.multicluster.x-k8s.io/exec/additional-envs', extension: { REGION: 'eu' } },
      ] } }],
      ...over,
    },
  };
}

test('a profile becomes a cluster: its provider\'s server and CA, the plugin with its extensions, labels, health and the first matching rule', () => {
  const inv = load(INVENTORY_ONLY).inventory!;
  const o = profileToCluster(profile('east'), inv);
  assert.equal(o.problem, undefined);
  const c = o.cluster!;
  assert.equal(c.name, 'east');
  assert.deepEqual(c.access, {
    profile: 'fleet/east',
    provider: 'secretreader',
    server: 'https://east.example:6443',
    caData: 'Q0E=',
    exec: { apiVersion: 'client.authentication.k8s.io/v1', command: PLUGIN, args: ['--cluster', 'east'], env: [{ name: 'REGION', value: 'eu' }], provideClusterInfo: true },
    execClusterConfig: { clusterName: 'east' },
    execTimeoutMs: 30_000,
  });
  assert.deepEqual(c.labels, { region: 'eu', 'cluster.clusterset.k8s.io': 'east' });
  assert.deepEqual(c.origin, { kind: 'inventory', namespace: 'fleet', profile: 'east', provider: 'secretreader', healthy: true, health: 'ControlPlaneHealthy=True (Healthy: ok)', clusterManager: 'open-cluster-management' });
  assert.deepEqual(c.replicaLabels, { from: 'eu' });
  assert.equal(c.exports.length, 1);
  const edge = profileToCluster(profile('edge-1', { properties: [] }), inv).cluster!;
  assert.deepEqual(edge.exports, [], 'the second rule matches by name and exports nothing');
  const other = profileToCluster(profile('west', { properties: [{ name: 'region', value: 'us' }] }), inv).cluster!;
  assert.deepEqual([other.exports, other.replicaLabels], [[], {}], 'no rule: receives only');
});

test('the provider file\'s order picks among the providers a profile offers; deprecated credentialProviders count', () => {
  const inv = load(INVENTORY_ONLY).inventory!;
  const both = profile('east', { accessProviders: [{ name: 'gke', cluster: { server: 'https://gke:443' } }, { name: 'secretreader', cluster: { server: 'https://sr:443' } }] });
  assert.equal(profileToCluster(both, inv).cluster!.access!.provider, 'secretreader');
  const old = profile('east', { accessProviders: undefined, credentialProviders: [{ name: 'gke', cluster: { server: 'https://gke:443' } }] });
  assert.deepEqual(profileToCluster(old, inv).cluster!.access!.exec.args, ['--gke']);
});

test('a profile that cannot be a cluster says why, naming what it offers and what the file has', () => {
  const inv = load(INVENTORY_ONLY).inventory!;
  const problem = (p: ClusterProfile): string | undefined => profileToCluster(p, inv).problem;
  assert.equal(problem(profile('east', { accessProviders: [{ name: 'kubelogin' }] })), 'no access provider of the provider file is offered: the profile offers "kubelogin", the provider file has "secretreader", "gke"');
  assert.equal(problem(profile('east', { accessProviders: [] })), 'no access provider of the provider file is offered: the profile offers none, the provider file has "secretreader", "gke"');
  assert.match(problem(profile('x'.repeat(64)))!, /cannot be a cluster name/);
  assert.equal(problem(profile('east', { accessProviders: [{ name: 'gke', cluster: {} }] })), 'access provider "gke" gives no cluster.server');
  assert.match(problem(profile('east', { accessProviders: [{ name: 'gke', cluster: { server: 'https://x', 'proxy-url': 'http://proxy:3128' } }] }))!, /proxy-url; mcsync does not connect through proxies yet/);
  assert.match(problem(profile('east', { accessProviders: [{ name: 'secretreader', cluster: { server: 'https://x', extensions: [{ name: 'clusterprofiles.multicluster.x-k8s.io/exec/additional-args', extension: 'one string' }] } }] }))!, /additional-args must be a list of strings/);
});

test('health: ControlPlaneHealthy False or missing is carried, the cluster still joins', () => {
  const inv = load(INVENTORY_ONLY).inventory!;
  const sick = profileToCluster(profile('east', { conditions: [{ type: 'ControlPlaneHealthy', status: 'False', reason: 'Unreachable', message: 'lease expired', lastTransitionTime: '2026-01-01T00:00:00Z' }] }), inv);
  assert.deepEqual([sick.healthy, sick.health, sick.cluster !== undefined], [false, 'ControlPlaneHealthy=False (Unreachable: lease expired)', true]);
  const none = profileToCluster(profile('east', { conditions: [] }), inv);
  assert.deepEqual([none.healthy, none.health], [undefined, 'no ControlPlaneHealthy condition']);
});

test('profile labels: its own labels win over properties; properties that are not label keys and values are left out', () => {
  assert.deepEqual(profileLabels(profile('east', { properties: [{ name: 'region', value: 'eu' }, { name: 'zone', value: 'not a value!' }] }, { region: 'override' })), { region: 'override' });
});

test('joined: the inventory\'s clusters follow the file\'s, default exportTo reaches them, names are checked against all', () => {
  const c = load(lines('clusters:', '- name: a', '  services: [{}]', '- name: b', '  services: [{ exportTo: [east, nowhere] }]', INVENTORY_ONLY));
  const outcomes = [profileToCluster(profile('east'), c.inventory!), profileToCluster(profile('west', { accessProviders: [] }), c.inventory!)];
  const j = joinInventory(c, outcomes);
  assert.deepEqual(j.config.clusters.map((x) => [x.name, x.origin?.kind]), [['a', 'file'], ['b', 'file'], ['east', 'inventory']]);
  assert.deepEqual(j.config.clusters[0]!.exports[0]!.exportTo, ['b', 'east']);
  assert.deepEqual(j.config.clusters[1]!.exports[0]!.exportTo, ['east'], 'an unknown name is a problem and never a destination');
  assert.deepEqual(j.config.clusters[2]!.exports[0]!.exportTo, ['a', 'b']);
  assert.deepEqual(j.problems.map((p) => `${p.pos.line}: ${p.message}`), [
    '6: ClusterProfile fleet/west: no access provider of the provider file is offered: the profile offers none, the provider file has "secretreader", "gke"',
    '5: exportTo: unknown cluster "nowhere" (the clusters are: a, b, east)',
  ]);
  const clash = joinInventory(c, [profileToCluster(profile('a'), c.inventory!)]);
  assert.deepEqual(clash.problems.map((p) => `${p.pos.line}: ${p.message}`), [
    '2: cluster "a" is both in clusters: and the inventory (ClusterProfile fleet/a); one name is one cluster',
    '5: exportTo: unknown cluster "east" (the clusters are: a, b)',
    '5: exportTo: unknown cluster "nowhere" (the clusters are: a, b)',
  ]);
  assert.deepEqual(clash.config.clusters.map((x) => x.name), ['a', 'b']);
});

test('profile-sourced env: AppendIfNotExists keeps the provider\'s values, Replace takes the profile\'s, Ignore adds nothing; names stay unique', () => {
  const name = fc.constantFrom('A', 'B', 'C', 'D');
  const envs = fc.uniqueArray(fc.record({ name, value: fc.string({ maxLength: 3 }) }), { selector: (e) => e.name, maxLength: 4 });
  const extra = fc.dictionary(name, fc.string({ maxLength: 3 }), { maxKeys: 4 });
  const policy = fc.constantFrom<AccessProviderConfig['envsPolicy']>('AppendIfNotExists', 'Replace', 'Ignore');
  fc.assert(fc.property(envs, extra, policy, (env, ext, envsPolicy) => {
    const provider: AccessProviderConfig = { name: 'p', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/true', args: [], env, provideClusterInfo: false }, argsPolicy: 'Ignore', envsPolicy };
    const made = execFor(provider, { server: 'https://x', extensions: [{ name: 'clusterprofiles.multicluster.x-k8s.io/exec/additional-envs', extension: ext }] });
    assert.ok('exec' in made);
    const got = new Map(made.exec.env.map((e) => [e.name, e.value]));
    assert.equal(got.size, made.exec.env.length, 'each name once');
    for (const e of env) assert.equal(got.get(e.name), envsPolicy === 'Replace' && e.name in ext ? ext[e.name] : e.value);
    for (const [k, v] of Object.entries(ext)) {
      if (envsPolicy === 'Ignore') assert.equal(got.has(k), env.some((e) => e.name === k));
      else if (!env.some((e) => e.name === k)) assert.equal(got.get(k), v);
    }
    assert.deepEqual(provider.exec.env, env, 'the provider file\'s config is not changed');
  }));
});
