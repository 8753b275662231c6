// The chart's values.schema.json is generated (values-schema.ts); its `config` is the mcsync
// config's JSON schema itself, the same object schema/mcsync.schema.json holds, so the chart
// cannot accept a config the CLI refuses or refuse one it accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { VALUES_SCHEMA_FILE, valuesSchemaText } from './values-schema.ts';

const committed = JSON.parse(readFileSync(VALUES_SCHEMA_FILE, 'utf8')) as { properties: Record<string, Record<string, unknown>>; additionalProperties: unknown };

test('values.schema.json is what values-schema.ts generates now', () => {
  assert.equal(readFileSync(VALUES_SCHEMA_FILE, 'utf8'), valuesSchemaText(), 'stale: run `node deploy/helm/values-schema.ts`');
});

test('its config is schema/mcsync.schema.json, but for the title and a description', () => {
  const { $schema: _s, title: _t, description: _d, ...config } = JSON.parse(readFileSync(new URL('../../schema/mcsync.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const { description: _cd, ...chartConfig } = committed.properties.config!;
  assert.deepEqual(chartConfig, config);
});

test('every key of values.yaml is described, and no other is allowed', () => {
  const values = parse(readFileSync(new URL('./mcsync/values.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(values).filter((k) => !(k in committed.properties)), []);
  assert.equal(committed.additionalProperties, false);
});
