import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configJsonSchema } from './json-schema.ts';

const committed = new URL('../../schema/mcsync.schema.json', import.meta.url);

test('schema/mcsync.schema.json is what `npm run schema` generates now', () => {
  assert.deepEqual(JSON.parse(readFileSync(committed, 'utf8')), configJsonSchema(), 'stale: run `npm run schema`');
});

test('the JSON schema lists every top-level property and rejects unknown ones', () => {
  const schema = configJsonSchema() as { properties: Record<string, unknown>; required?: string[]; anyOf: unknown; additionalProperties: unknown };
  assert.deepEqual(Object.keys(schema.properties).sort(), ['apiVersion', 'clusters', 'concurrency', 'conflictPolicy', 'controller', 'copyAnnotations', 'copyLabels', 'createNamespaces', 'instance', 'inventory', 'leaderElection', 'mcs', 'networkPolicies']);
  // A clusters list, an inventory, or both.
  assert.equal(schema.required, undefined);
  assert.deepEqual(schema.anyOf, [{ required: ['clusters'] }, { required: ['inventory'] }]);
  assert.equal(schema.additionalProperties, false);
});
