// docs/configuration.md is the reference for the config file: every object the schema accepts
// has a section whose field table lists exactly its keys, with the defaults of defaults.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema } from './schema.ts';
import { DEFAULTS } from './defaults.ts';

const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

interface Section {
  heading: string;
  /** Field name -> the row's cells after the name (type, default, meaning). */
  rows: Map<string, string[]>;
}

/** The ## and ### sections of the page, outside code blocks, with the rows of their field tables. */
function sections(text: string): Section[] {
  const out: Section[] = [];
  let inCode = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    if (inCode) continue;
    const heading = /^#{2,3} (.*)$/.exec(line);
    if (heading) out.push({ heading: heading[1]!, rows: new Map() });
    const row = /^\| `([A-Za-z]+)` \|(.*)\|$/.exec(line);
    if (row && out.length > 0) out.at(-1)!.rows.set(row[1]!, row[2]!.split('|').map((c) => c.trim()));
  }
  return out;
}

interface SchemaObject {
  /** Field path of the object, e.g. clusters[].services[]; '' for the top level. */
  path: string;
  /** The key it sits under (services), which its section's heading names; undefined at the top. */
  key: string | undefined;
  fields: string[];
  required: string[];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/** Every object the schema accepts, found by walking mappings and lists. */
function schemaObjects(schema: z.ZodType, path = '', key?: string): SchemaObject[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodArray) return schemaObjects(s.element as z.ZodType, `${path}[]`, key);
  if (!(s instanceof z.ZodObject)) return [];
  const shape = s.shape as Record<string, z.ZodType>;
  const nested = Object.entries(shape).flatMap(([k, child]) => schemaObjects(child, path === '' ? k : `${path}.${k}`, k));
  const required = Object.keys(shape).filter((k) => !(shape[k] instanceof z.ZodOptional));
  return [{ path, key, fields: Object.keys(shape), required }, ...nested];
}

function sectionFor(all: Section[], key: string | undefined): Section | undefined {
  return all.find((s) => (key === undefined ? s.heading === 'Top level' : s.heading.includes(`\`${key}\``)));
}

test('every field the schema accepts is documented in docs/configuration.md, and nothing else is; "required" only where it is', () => {
  const all = sections(docs);
  const objects = schemaObjects(configSchema);
  assert.ok(objects.length >= 7, 'the walk found the nested objects');
  for (const obj of objects) {
    const where = obj.path === '' ? 'the top level' : obj.path;
    const section = sectionFor(all, obj.key);
    assert.ok(section, `no section of docs/configuration.md has \`${obj.key}\` in its heading (for ${where})`);
    // Sets compare without regard to order.
    assert.deepEqual(new Set(section.rows.keys()), new Set(obj.fields), `the field table of "${section.heading}" does not list exactly the fields of ${where}`);
    for (const [field, cells] of section.rows) {
      assert.equal(cells.includes('required'), obj.required.includes(field), `${where} ${field}: documented as ${cells.includes('required') ? '' : 'not '}required`);
    }
  }
});

test('the Default column of docs/configuration.md states the defaults of defaults.ts', () => {
  const all = sections(docs);
  const check = (key: string | undefined, field: string, value: string | number | boolean): void => {
    const row = sectionFor(all, key)?.rows.get(field);
    assert.ok(row, `${key ?? '(top level)'}.${field} has no row`);
    assert.ok(row[1]!.includes(`\`${String(value)}\``), `${key ?? '(top level)'}.${field}: default column "${row[1]}" does not say \`${String(value)}\``);
  };
  for (const [group, value] of Object.entries(DEFAULTS)) {
    if (typeof value !== 'object') check(undefined, group, value);
    else for (const [field, v] of Object.entries(value)) check(group === 'cluster' ? 'clusters' : group, field, v);
  }
});
