import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfigText, type LoadOptions } from './load.ts';
import type { Config } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcsync-config-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One argument per line, so a test's line numbers can be read off its source. */
const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

const noKube: LoadOptions = { checkKubeconfigs: false };

function parse(text: string, opts: LoadOptions = noKube): Config {
  return parseConfigText(text, 'mcsync.yaml', opts);
}

function errorText(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('expected a ConfigError');
}

const errorOf = (text: string, opts: LoadOptions = noKube): string => errorText(() => parse(text, opts));

function writeTemp(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const KUBECONFIG = lines(
  'apiVersion: v1',
  'kind: Config',
  'clusters:',
  '- name: c1',
  '  cluster:',
  '    server: https://127.0.0.1:6443',
  'users:',
  '- name: u1',
  '  user:',
  '    token: not-a-real-token',
  'contexts:',
  '- name: ctx-a',
  '  context: { cluster: c1, user: u1 }',
  '- name: ctx-b',
  '  context: { cluster: c1, user: u1 }',
  'current-context: ctx-a',
);

const SEED = lines(
  'clusters:',
  '- name: onPremCluster1',
  '  kubeconfig: /cfg/kubeconfig-onPremCluster1.yaml',
  '  services:',
  '  - namespace: stars',
  '- name: eksCluster1',
  '  kubeconfig: /cfg/kubeconfig-eksCluster1.yaml',
  '  services:',
  '  - namespace: management-ui',
  '  - namespace: client',
);

// ------------------------------------------------------------------------------------------
// The seed's file and the Config built from it

test("the seed document's config file loads unchanged into two clusters exporting to each other", () => {
  const config = parse(SEED);
  assert.deepEqual(
    config.clusters.map((c) => ({
      name: c.name,
      kubeconfig: c.kubeconfig,
      exports: c.exports.map((r) => ({ namespace: r.namespace, exportTo: r.exportTo, nameMatches: r.nameMatches, conflictPolicy: r.conflictPolicy, force: r.force, line: r.pos.line })),
    })),
    [
      {
        name: 'onPremCluster1',
        kubeconfig: '/cfg/kubeconfig-onPremCluster1.yaml',
        exports: [{ namespace: 'stars', exportTo: ['eksCluster1'], nameMatches: undefined, conflictPolicy: 'skip', force: false, line: 5 }],
      },
      {
        name: 'eksCluster1',
        kubeconfig: '/cfg/kubeconfig-eksCluster1.yaml',
        exports: [
          { namespace: 'management-ui', exportTo: ['onPremCluster1'], nameMatches: undefined, conflictPolicy: 'skip', force: false, line: 9 },
          { namespace: 'client', exportTo: ['onPremCluster1'], nameMatches: undefined, conflictPolicy: 'skip', force: false, line: 10 },
        ],
      },
    ],
  );
});

test('defaults: instance, createNamespaces, concurrency, copy filters and replica metadata', () => {
  const config = parse(SEED);
  assert.equal(config.instance, 'default');
  assert.equal(config.createNamespaces, true);
  assert.equal(config.concurrency, 8);
  assert.deepEqual(config.copyLabels, { exclude: [] });
  assert.deepEqual(config.copyAnnotations, { exclude: [] });
  assert.deepEqual(config.clusters[0]!.replicaLabels, {});
  assert.deepEqual(config.clusters[0]!.replicaAnnotations, {});
  assert.equal(config.clusters[0]!.context, undefined);
  assert.equal(config.file, join(process.cwd(), 'mcsync.yaml'));
});

test('explicit top-level settings are kept, and copy filters are the user\'s alone (built-ins are added by the model)', () => {
  const config = parse(
    lines(
      'instance: blue',
      'createNamespaces: false',
      'concurrency: 3',
      'copyLabels:',
      '  include: ["app", "mcsync.io/*"]',
      'copyAnnotations:',
      '  exclude: ["internal/*"]',
      'clusters:',
      '- { name: a, kubeconfig: a.yaml, context: ctx-a, replicaLabels: { site: east }, replicaAnnotations: { "example.com/note": "from a" } }',
    ),
  );
  assert.equal(config.instance, 'blue');
  assert.equal(config.createNamespaces, false);
  assert.equal(config.concurrency, 3);
  assert.deepEqual(config.copyLabels, { include: ['app', 'mcsync.io/*'], exclude: [] });
  assert.deepEqual(config.copyAnnotations, { exclude: ['internal/*'] });
  const a = config.clusters[0]!;
  assert.equal(a.context, 'ctx-a');
  assert.deepEqual(a.replicaLabels, { site: 'east' });
  assert.deepEqual(a.replicaAnnotations, { 'example.com/note': 'from a' });
  assert.deepEqual(a.exports, [], 'a cluster without services only receives');
});

test('positions: cluster, kubeconfig, context and each export rule carry file, line and field', () => {
  const config = parse(
    lines(
      '# mcsync',
      'clusters:',
      '- name: a',
      '  context: ctx',
      '  kubeconfig: a.yaml',
      '  services:',
      '  - namespace: one',
      '  - namespace: two',
      '- name: b',
      '  kubeconfig: b.yaml',
    ),
  );
  const [a, b] = config.clusters;
  assert.deepEqual(a!.pos, { file: 'mcsync.yaml', line: 3, field: 'clusters[0]' });
  assert.deepEqual(a!.contextPos, { file: 'mcsync.yaml', line: 4, field: 'clusters[0].context' });
  assert.deepEqual(a!.kubeconfigPos, { file: 'mcsync.yaml', line: 5, field: 'clusters[0].kubeconfig' });
  assert.deepEqual(a!.exports[1]!.pos, { file: 'mcsync.yaml', line: 8, field: 'clusters[0].services[1]' });
  assert.equal(b!.contextPos, undefined);
  assert.equal(b!.kubeconfigPos.line, 10);
});

test('every service-entry filter is passed through; duplicates in names and exclude are fine', () => {
  const config = parse(
    lines(
      'clusters:',
      '- name: a',
      '  kubeconfig: a.yaml',
      '  services:',
      '  - namespace: shop',
      '    names: [web, web, api]',
      '    exclude: [debug, debug]',
      '    labelSelector: "tier in (web, api),!canary"',
      '    force: true',
      '- { name: b, kubeconfig: b.yaml }',
    ),
  );
  const rule = config.clusters[0]!.exports[0]!;
  assert.deepEqual(rule.names, ['web', 'web', 'api']);
  assert.deepEqual(rule.exclude, ['debug', 'debug']);
  assert.deepEqual(rule.selector, [{ key: 'tier', op: 'in', values: ['web', 'api'] }, { key: 'canary', op: 'doesnotexist' }]);
  assert.equal(rule.force, true);
  assert.equal(rule.nameMatches, undefined);
});

test('relative kubeconfig paths resolve against the config file\'s directory, ~/ against the home directory', () => {
  const configDir = join(dir, 'relative');
  writeTemp('relative/kube/a.yaml', KUBECONFIG);
  const file = writeTemp(
    'relative/mcsync.yaml',
    lines(
      'clusters:',
      '- { name: a, kubeconfig: kube/a.yaml }',
      '- { name: b, kubeconfig: ../relative/kube/a.yaml, context: ctx-b }',
      '- { name: c, kubeconfig: ~/.kube/c.yaml }',
    ),
  );
  // Kubeconfig checks off only because ~/.kube/c.yaml does not exist here.
  const config = loadConfig(file, noKube);
  assert.equal(config.file, file);
  assert.deepEqual(
    config.clusters.map((c) => c.kubeconfig),
    [join(configDir, 'kube/a.yaml'), join(configDir, 'kube/a.yaml'), join(homedir(), '.kube/c.yaml')],
  );
  assert.equal(config.clusters[0]!.pos.file, file);
});

test('kubeconfig checks pass for a readable kubeconfig with the named context or a current-context', () => {
  writeTemp('valid/kube.yaml', KUBECONFIG);
  const file = writeTemp(
    'valid/mcsync.yaml',
    lines('clusters:', '- { name: a, kubeconfig: kube.yaml }', '- { name: b, kubeconfig: kube.yaml, context: ctx-b }'),
  );
  assert.deepEqual(
    loadConfig(file).clusters.map((c) => c.context),
    [undefined, 'ctx-b'],
  );
});

test('cluster-level nameMatches (as the original read it) applies to entries without their own', () => {
  const config = parse(
    lines(
      'clusters:',
      '- name: a',
      '  kubeconfig: a.yaml',
      '  nameMatches: ["front", "back"]',
      '  services:',
      '  - namespace: stars',
      '  - namespace: other',
      '    nameMatches: ["api-.*"]',
      '- { name: b, kubeconfig: b.yaml }',
    ),
  );
  const [inherited, own] = config.clusters[0]!.exports;
  assert.deepEqual(inherited!.nameMatches, [/^(?:front)/, /^(?:back)/]);
  assert.deepEqual(own!.nameMatches, [/^(?:api-.*)/]);
});

test('nameMatches is anchored at the start only, like Python re.match', () => {
  const config = parse(
    lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  services:', '  - nameMatches: ["web", "db|cache"]', '- { name: b, kubeconfig: b.yaml }'),
  );
  const [web, alternation] = config.clusters[0]!.exports[0]!.nameMatches!;
  assert.ok(web!.test('web'));
  assert.ok(web!.test('web-v2'), 'not anchored at the end');
  assert.ok(!web!.test('my-web'), 'anchored at the start');
  assert.ok(alternation!.test('cache-1'));
  assert.ok(!alternation!.test('my-cache'), 'the anchor covers every alternative');
});

test('exportTo: the entry\'s, else the cluster\'s, else every other cluster in config order; never the source', () => {
  const config = parse(
    lines(
      'clusters:',
      '- name: a',
      '  kubeconfig: a.yaml',
      '  exportTo: [c]',
      '  services:',
      '  - namespace: uses-cluster',
      '  - namespace: uses-entry',
      '    exportTo: [d, b, d]',
      '- name: b',
      '  kubeconfig: b.yaml',
      '  services:',
      '  - namespace: uses-all',
      '- { name: c, kubeconfig: c.yaml }',
      '- { name: d, kubeconfig: d.yaml }',
    ),
  );
  const a = config.clusters[0]!.exports;
  assert.deepEqual(a.map((r) => r.exportTo), [['c'], ['d', 'b']]);
  assert.deepEqual(config.clusters[1]!.exports[0]!.exportTo, ['a', 'c', 'd']);
});

test('conflictPolicy: the entry\'s, else the top level\'s, else skip', () => {
  const config = parse(
    lines(
      'conflictPolicy: merge',
      'clusters:',
      '- name: a',
      '  kubeconfig: a.yaml',
      '  services:',
      '  - namespace: x',
      '  - namespace: y',
      '    conflictPolicy: skip',
      '- { name: b, kubeconfig: b.yaml }',
    ),
  );
  assert.deepEqual(config.clusters[0]!.exports.map((r) => r.conflictPolicy), ['merge', 'skip']);
  assert.equal(parse(SEED).clusters[0]!.exports[0]!.conflictPolicy, 'skip');
});

// ------------------------------------------------------------------------------------------
// Malformed configs: each names file, line and field

test('a missing config file', () => {
  const missing = join(dir, 'no-such.yaml');
  assert.equal(errorText(() => loadConfig(missing)), `${missing}:1: (file): config file not found`);
});

test('an unreadable config file (a directory)', () => {
  assert.equal(errorText(() => loadConfig(dir)), `${dir}:1: (file): config file is a directory, not a file`);
});

test('an empty config file, or one with only comments', () => {
  const expected = 'mcsync.yaml:1: (file): the file is empty; it needs at least a clusters list';
  assert.equal(errorOf(''), expected);
  assert.equal(errorOf('# nothing yet\n\n'), expected);
});

test('a YAML syntax error is reported at the line the parser names', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  services: [', '- name: b');
  assert.match(errorOf(text), /^mcsync\.yaml:5: \(file\): YAML syntax error: /);
});

test('a key repeated in one mapping is a YAML error at the repetition', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  name: b');
  assert.equal(errorOf(text), 'mcsync.yaml:4: (file): YAML syntax error: Map keys must be unique');
});

test('a top level that is not a mapping', () => {
  assert.equal(
    errorOf(lines('- name: a', '  kubeconfig: a.yaml')),
    'mcsync.yaml:1: (root): the top level must be a mapping with a clusters list, got a list',
  );
});

test('an unknown key is reported at its own line, named in the field, with a suggestion', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  services:', '  - namespace: stars', '    namematches: ["x"]');
  assert.equal(
    errorOf(text),
    'mcsync.yaml:6: clusters[0].services[0].namematches: unknown key "namematches"; did you mean "nameMatches"?',
  );
});

test('a service-entry key written on the cluster says where it belongs', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  namespace: stars');
  assert.equal(errorOf(text), 'mcsync.yaml:4: clusters[0].namespace: unknown key "namespace" (it belongs in an entry of services)');
});

test('a value of the wrong type', () => {
  const text = lines('concurrency: eight', 'clusters:', '- { name: a, kubeconfig: a.yaml }');
  assert.equal(errorOf(text), 'mcsync.yaml:1: concurrency: must be a number, got the string "eight"');
});

test('a number where a string is required suggests quoting', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  replicaLabels:', '    zone: 1');
  assert.equal(errorOf(text), 'mcsync.yaml:5: clusters[0].replicaLabels.zone: must be a string, got the number 1 (quote it to make it a string)');
});

test('a value outside an enum', () => {
  const text = lines('conflictPolicy: overwrite', 'clusters:', '- { name: a, kubeconfig: a.yaml }');
  assert.equal(errorOf(text), 'mcsync.yaml:1: conflictPolicy: must be one of "skip", "merge", got the string "overwrite"');
});

test('a missing required field is reported at the line where its parent starts', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '- kubeconfig: b.yaml', '  services:', '  - namespace: x');
  assert.equal(errorOf(text), 'mcsync.yaml:4: clusters[1].name: missing required field "name"');
});

test('a cluster without a kubeconfig uses the in-cluster ServiceAccount', () => {
  const cfg = parse(lines('clusters:', '- name: a', '- name: b', '  kubeconfig: b.yaml'));
  assert.deepEqual(cfg.clusters.map((c) => [c.name, c.inCluster, c.kubeconfig === '']), [['a', true, true], ['b', false, false]]);
});

test('controller, staleness and leader-election settings: defaults, durations and their checks', () => {
  const d = parse(lines('clusters:', '- name: a', '  kubeconfig: a.yaml'));
  assert.deepEqual([d.clusters[0]!.staleAfterMs, d.clusters[0]!.stalePolicy], [300_000, 'keep']);
  assert.deepEqual(d.controller, { writeQps: 20, writeBurst: 40, resyncMs: 600_000, watchTimeoutSeconds: 300 });
  assert.deepEqual(d.leaderElection, { namespace: 'kube-system', name: 'mcsync-default', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  const c = parse(lines('controller:', '  writeQps: 5', '  resyncInterval: 90s', 'leaderElection:', '  cluster: a', '  leaseDuration: 4', '  renewDeadline: 3s', '  retryPeriod: 500ms',
    'clusters:', '- name: a', '  kubeconfig: a.yaml', '  staleAfter: 1h', '  stalePolicy: withdraw'));
  assert.equal(c.controller.writeQps, 5);
  assert.equal(c.controller.resyncMs, 90_000);
  assert.deepEqual([c.leaderElection.cluster, c.leaderElection.leaseDurationMs, c.leaderElection.renewDeadlineMs, c.leaderElection.retryPeriodMs], ['a', 4000, 3000, 500]);
  assert.deepEqual([c.clusters[0]!.staleAfterMs, c.clusters[0]!.stalePolicy], [3_600_000, 'withdraw']);
  assert.equal(errorOf(lines('leaderElection:', '  renewDeadline: 20s', 'clusters:', '- name: a', '  kubeconfig: a.yaml')),
    'mcsync.yaml:2: leaderElection.renewDeadline: renewDeadline must be shorter than leaseDuration');
  assert.equal(errorOf(lines('leaderElection:', '  cluster: zz', 'clusters:', '- name: a', '  kubeconfig: a.yaml')),
    'mcsync.yaml:2: leaderElection.cluster: unknown cluster "zz" (the clusters are: a)');
  assert.match(errorOf(lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  stalePolicy: drop')), /^mcsync\.yaml:4: clusters\[0\]\.stalePolicy: /);
});

test('an empty clusters list', () => {
  assert.equal(errorOf('clusters: []\n'), 'mcsync.yaml:1: clusters: must not be empty');
});

test('a duplicate cluster name is reported at its second occurrence', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '- name: b', '  kubeconfig: b.yaml', '- name: a', '  kubeconfig: c.yaml');
  assert.equal(errorOf(text), 'mcsync.yaml:6: clusters[2].name: duplicate cluster name "a" (already used by clusters[0])');
});

test('an invalid regular expression names the expression and the reason', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  services:', '  - nameMatches:', '    - ok', '    - "web-(v1"');
  assert.equal(
    errorOf(text),
    'mcsync.yaml:7: clusters[0].services[0].nameMatches[1]: invalid regular expression "web-(v1": Unterminated group',
  );
});

test('an invalid label selector carries the parser\'s reason', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  services:', '  - labelSelector: "env in (prod"');
  assert.equal(
    errorOf(text),
    'mcsync.yaml:5: clusters[0].services[0].labelSelector: invalid label selector "env in (prod": unbalanced "("',
  );
});

test('exportTo naming a cluster that is not in the config', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  exportTo:', '  - b', '  - c', '  services: [{}]', '- { name: b, kubeconfig: b.yaml }');
  assert.equal(errorOf(text), 'mcsync.yaml:6: clusters[0].exportTo[1]: unknown cluster "c" (the clusters are: a, b)');
});

test('exportTo naming the cluster itself', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  services:', '  - namespace: x', '    exportTo: [b, a]', '- { name: b, kubeconfig: b.yaml }');
  assert.equal(
    errorOf(text),
    'mcsync.yaml:6: clusters[0].services[0].exportTo[1]: "a" is this cluster itself; replicas only go to other clusters',
  );
});

test('cluster-level nameMatches on a cluster without services would do nothing, so it is an error', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  nameMatches: [web]', '- { name: b, kubeconfig: b.yaml }');
  assert.match(errorOf(text), /^mcsync\.yaml:4: clusters\[0\]\.nameMatches: has no effect: this cluster has no services entries/);
});

test('replicaLabels: invalid keys, invalid values and the reserved mcsync.io/ prefix, each at its key', () => {
  const text = lines(
    'clusters:',
    '- name: a',
    '  kubeconfig: a.yaml',
    '  replicaLabels:',
    '    site: east',
    '    "bad key": x',
    '    zone: "not valid!"',
    '    mcsync.io/owner: me',
  );
  assert.equal(
    errorOf(text),
    [
      'mcsync.yaml:6: clusters[0].replicaLabels["bad key"]: "bad key" is not a valid label key: it must be at most 63 letters, digits, -, _ and . (after an optional "prefix/"), starting and ending alphanumeric',
      'mcsync.yaml:7: clusters[0].replicaLabels.zone: "not valid!" is not a valid label value: at most 63 letters, digits, -, _ and ., starting and ending alphanumeric',
      'mcsync.yaml:8: clusters[0].replicaLabels["mcsync.io/owner"]: "mcsync.io/owner" uses the reserved prefix mcsync.io/, which only mcsync writes',
    ].join('\n'),
  );
});

test('every problem is collected into one error, in line order', () => {
  const text = lines(
    'instance: Blue',
    'clusters:',
    '- name: a',
    '  kubeconfig: a.yaml',
    '  services:',
    '  - namespace: x',
    '    exportTo: [zz]',
    '    labelSelector: "tier in (web"',
    '    bogus: 1',
    '- name: a',
    '  staleAfter: soon',
  );
  let error: unknown;
  try {
    parse(text);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(
    error.issues.map((i) => [i.line, i.field]),
    [
      [1, 'instance'],
      [7, 'clusters[0].services[0].exportTo[0]'],
      [8, 'clusters[0].services[0].labelSelector'],
      [9, 'clusters[0].services[0].bogus'],
      [10, 'clusters[1].name'],
      [11, 'clusters[1].staleAfter'],
    ],
  );
  assert.equal(error.message.split('\n').length, 6);
  assert.ok(error.issues.every((i) => i.file === 'mcsync.yaml'));
});

// ------------------------------------------------------------------------------------------
// Kubeconfigs

test('a kubeconfig that does not exist', () => {
  const file = writeTemp('missing-kube/mcsync.yaml', lines('clusters:', '- name: a', '  kubeconfig: kube/a.yaml'));
  assert.equal(
    errorText(() => loadConfig(file)),
    `${file}:3: clusters[0].kubeconfig: kubeconfig kube/a.yaml (${join(dir, 'missing-kube/kube/a.yaml')}) not found`,
  );
});

test('a kubeconfig that cannot be read (a directory)', () => {
  mkdirSync(join(dir, 'dir-kube/kube'), { recursive: true });
  const file = writeTemp('dir-kube/mcsync.yaml', lines('clusters:', '- { name: a, kubeconfig: kube }'));
  assert.match(errorText(() => loadConfig(file)), /:2: clusters\[0\]\.kubeconfig: kubeconfig kube \(.*\) is a directory, not a file$/);
});

test('a broken kubeconfig is reported without any of its contents', () => {
  const token = 'eyJhbGciOiJSUzI1NiJ9.FAKE-TOKEN-0123456789';
  const key = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tFAKEKEY';
  writeTemp(
    'broken-kube/kube.yaml',
    lines(
      'apiVersion: v1',
      'users:',
      '- name: admin',
      '  user:',
      `    token: ${token}`,
      `    client-key-data: ${key}`,
      '  oops: [unclosed',
      'contexts: []',
    ),
  );
  const file = writeTemp('broken-kube/mcsync.yaml', lines('clusters:', '- name: a', '  kubeconfig: kube.yaml'));
  const message = errorText(() => loadConfig(file));
  assert.match(message, /:3: clusters\[0\]\.kubeconfig: kubeconfig kube\.yaml \(.*\) is not a valid kubeconfig \(YAML error at line \d+\)$/);
  assert.ok(!message.includes(token), 'the token must not appear');
  assert.ok(!message.includes(key), 'the key must not appear');
  assert.ok(!message.includes('FAKE'), 'no fragment of either must appear');
});

test('a kubeconfig with a structural problem names only the field client-node found missing', () => {
  writeTemp('incomplete-kube/kube.yaml', lines('clusters:', '- name: c1', '  cluster:', '    certificate-authority-data: SECRETCA', 'contexts: []'));
  const file = writeTemp('incomplete-kube/mcsync.yaml', lines('clusters:', '- { name: a, kubeconfig: kube.yaml }'));
  const message = errorText(() => loadConfig(file));
  assert.match(message, /is not a valid kubeconfig \(clusters\[0\]\.cluster\.server is missing\)$/);
  assert.ok(!message.includes('SECRETCA'));
});

test('a YAML file that is not a kubeconfig', () => {
  writeTemp('not-kube/kube.yaml', 'hello: world\n');
  const file = writeTemp('not-kube/mcsync.yaml', lines('clusters:', '- { name: a, kubeconfig: kube.yaml }'));
  assert.match(errorText(() => loadConfig(file)), /:2: clusters\[0\]\.kubeconfig: kubeconfig .* is not a valid kubeconfig \(it has no contexts\)$/);
});

test('a context that is not in the kubeconfig is reported at the context line', () => {
  writeTemp('bad-context/kube.yaml', KUBECONFIG);
  const file = writeTemp('bad-context/mcsync.yaml', lines('clusters:', '- name: a', '  kubeconfig: kube.yaml', '  context: ctx-z'));
  assert.match(errorText(() => loadConfig(file)), /:4: clusters\[0\]\.context: context "ctx-z" is not in kubeconfig kube\.yaml \(.*\)$/);
});

test('a context without a kubeconfig is reported at the context line: the in-cluster ServiceAccount has no contexts', () => {
  const file = writeTemp('context-alone/mcsync.yaml', lines('clusters:', '- name: a', '  context: ctx-a'));
  assert.match(errorText(() => loadConfig(file)), /:3: clusters\[0\]\.context: context "ctx-a" needs a kubeconfig: to pick it from; add kubeconfig: PATH, or remove context: to use the in-cluster ServiceAccount$/);
});

test('no context and a kubeconfig without current-context', () => {
  writeTemp('no-current/kube.yaml', KUBECONFIG.replace('current-context: ctx-a\n', ''));
  const file = writeTemp('no-current/mcsync.yaml', lines('clusters:', '- name: a', '  kubeconfig: kube.yaml'));
  assert.match(errorText(() => loadConfig(file)), /:3: clusters\[0\]\.kubeconfig: kubeconfig .* has no current-context; name one with "context:"$/);
});

test('kubeconfig checks are skipped when checkKubeconfigs is false', () => {
  const file = writeTemp('skipped/mcsync.yaml', lines('clusters:', '- { name: a, kubeconfig: nowhere.yaml, context: nothing }'));
  assert.equal(loadConfig(file, noKube).clusters[0]!.kubeconfig, join(dir, 'skipped/nowhere.yaml'));
});

test('podCIDRs: kept as written when every block parses, absent means read from the Nodes', () => {
  const config = parse(lines('clusters:', '- { name: a, kubeconfig: a.yaml, podCIDRs: [10.244.0.0/16, "fd00:10:244::/56"] }', '- { name: b, kubeconfig: b.yaml }'));
  assert.deepEqual(config.clusters.map((c) => c.podCIDRs), [['10.244.0.0/16', 'fd00:10:244::/56'], undefined]);
});

test('podCIDRs: a block that does not parse, and one that is every address, each at its line', () => {
  const text = lines('clusters:', '- name: a', '  kubeconfig: a.yaml', '  podCIDRs:', '  - 10.244.0.0/33', '  - 0.0.0.0/0');
  assert.equal(errorOf(text), [
    'mcsync.yaml:5: clusters[0].podCIDRs[0]: "10.244.0.0/33" is not a CIDR block (e.g. 10.244.0.0/16 or fd00:10:244::/56)',
    'mcsync.yaml:6: clusters[0].podCIDRs[1]: "0.0.0.0/0" is every address: it would let this cluster\'s slices point anywhere',
  ].join('\n'));
});

test('locality tiers and properties: read from a services entry and a cluster; a selector that selects nothing is named at its line', () => {
  const c = parse(['clusters:', '- name: a', '  kubeconfig: a.yaml', '  properties: {region: eu}', '  services:', '  - namespace: shop',
    '    stalePolicy: last-resort', '    clusterSelectors:', '    - propertySelector: {matchProperties: {region: "@SameAsImporter@"}}', '- name: b', '  kubeconfig: b.yaml', ''].join('\n'));
  assert.deepEqual(c.clusters[0]!.properties, { region: 'eu' });
  assert.deepEqual(c.clusters[0]!.exports[0]!.clusterSelectors, [{ propertySelector: { matchProperties: { region: '@SameAsImporter@' } } }]);
  assert.equal(c.clusters[0]!.exports[0]!.stalePolicy, 'last-resort');
  const err = errorOf(['clusters:', '- name: a', '  kubeconfig: a.yaml', '  services:', '  - namespace: shop', '    clusterSelectors:', '    - propertySelector: {}', ''].join('\n'));
  assert.match(err, /mcsync\.yaml:6: clusters\[0\]\.services\[0\]\.clusterSelectors: clusterSelectors\[0\]: an empty propertySelector selects nothing/);
});
