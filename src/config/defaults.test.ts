import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS, defaultIs, defaultLeaseName } from './defaults.ts';
import { durationMs } from './duration.ts';
import { configJsonSchema } from './json-schema.ts';
import { parseConfigText } from './load.ts';

interface JsonNode {
  description?: string;
  properties?: Record<string, JsonNode>;
  items?: JsonNode;
}

/** Every property's description in the JSON schema, by field path (clusters[].staleAfter). */
function descriptions(node: JsonNode, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child.description !== undefined) out.set(path, child.description);
    for (const [p, d] of descriptions(child, path)) out.set(p, d);
    if (child.items) for (const [p, d] of descriptions(child.items, `${path}[]`)) out.set(p, d);
  }
  return out;
}

/** The table flattened to field paths; its `cluster` group holds the fields of an entry of clusters. */
function tablePaths(): Map<string, string | number | boolean> {
  const out = new Map<string, string | number | boolean>();
  for (const [key, value] of Object.entries(DEFAULTS)) {
    if (typeof value !== 'object') out.set(key, value);
    else for (const [k, v] of Object.entries(value)) out.set(`${key === 'cluster' ? 'clusters[]' : key}.${k}`, v);
  }
  return out;
}

test('the JSON schema states exactly the defaults of the table, no more and no fewer', () => {
  const stated = new Map<string, string>();
  for (const [path, text] of descriptions(configJsonSchema() as JsonNode)) {
    // "Default: the top-level conflictPolicy." describes an inherited value, not a constant.
    const m = /\bDefault ("[^"]*"|true|false|\d+(?:\.\d+)?)[.,;]/.exec(text);
    if (m) stated.set(path, `Default ${m[1]}`);
  }
  const expected = new Map([...tablePaths()].map(([path, value]) => [path, defaultIs(value)]));
  // Maps compare without regard to order.
  assert.deepEqual(stated, expected);
});

test('a config that sets nothing builds to the table\'s values', () => {
  const cfg = parseConfigText('clusters:\n- name: a\n  services: [{}]\n- name: b\n', 'mcsync.yaml', { checkKubeconfigs: false });
  assert.equal(cfg.instance, DEFAULTS.instance);
  assert.equal(cfg.createNamespaces, DEFAULTS.createNamespaces);
  assert.equal(cfg.concurrency, DEFAULTS.concurrency);
  assert.equal(cfg.networkPolicies, DEFAULTS.networkPolicies);
  assert.equal(cfg.clusters[0]!.exports[0]!.conflictPolicy, DEFAULTS.conflictPolicy);
  assert.deepEqual(cfg.controller, {
    writeQps: DEFAULTS.controller.writeQps,
    writeBurst: DEFAULTS.controller.writeBurst,
    resyncMs: durationMs(DEFAULTS.controller.resyncInterval),
    watchTimeoutSeconds: durationMs(DEFAULTS.controller.watchTimeout) / 1000,
  });
  assert.deepEqual(cfg.leaderElection, {
    namespace: DEFAULTS.leaderElection.namespace,
    name: defaultLeaseName(DEFAULTS.instance),
    leaseDurationMs: DEFAULT_LEASE_DURATION_MS,
    renewDeadlineMs: DEFAULT_RENEW_DEADLINE_MS,
    retryPeriodMs: DEFAULT_RETRY_PERIOD_MS,
  });
  for (const c of cfg.clusters) {
    assert.equal(c.staleAfterMs, durationMs(DEFAULTS.cluster.staleAfter));
    assert.equal(c.stalePolicy, DEFAULTS.cluster.stalePolicy);
  }
});

test('the Lease name follows the instance; the leader-election milliseconds are the table\'s durations', () => {
  const cfg = parseConfigText('instance: prod\nclusters:\n- name: a\n', 'mcsync.yaml', { checkKubeconfigs: false });
  assert.equal(cfg.leaderElection.name, 'mcsync-prod');
  assert.deepEqual([DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS], [15_000, 10_000, 2_000]);
});
