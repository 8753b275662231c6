// Problems in words a user of the YAML file recognises (mapping, list, "did you mean") rather
// than zod's or Node's: what the schema found, and why a file could not be read.
import { z } from 'zod';
import { clusterEntry, configSchema, serviceEntry } from './schema.ts';
import type { Path } from './positions.ts';
import { valueAt } from './raw.ts';

export function explainZodIssue(issue: z.core.$ZodIssue, raw: unknown): [Path, string][] {
  const path: Path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const value = valueAt(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      // Named at each key's own line, so two stray keys are two issues the user can jump to.
      return issue.keys.map((key) => [[...path, key], unknownKeyMessage(path, key)]);
    case 'invalid_type': {
      if (value === undefined) return [[path, `missing required field "${String(path.at(-1))}"`]];
      return [[path, `must be ${expectedName(issue.expected)}, got ${describe(value)}${typeHint(issue.expected, value)}`]];
    }
    case 'invalid_value':
      return [[path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`]];
    case 'too_small':
      return [[path, sizeMessage('least', issue.origin, issue.minimum)]];
    case 'too_big':
      return [[path, sizeMessage('most', issue.origin, issue.maximum)]];
    case 'invalid_format':
      return [[path, `${issue.message}, got ${describe(value)}`]];
    case 'custom':
      if (typeof value === 'string' && issue.message.startsWith('invalid regular expression')) {
        return [[path, regexMessage(value)]];
      }
      return [[path, issue.message]];
    default:
      return [[path, issue.message]];
  }
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}

function typeHint(expected: string, value: unknown): string {
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    return ' (quote it to make it a string)';
  }
  // YAML 1.1, which the original's PyYAML spoke, read these as booleans; YAML 1.2 does not.
  if (expected === 'boolean' && typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value)) {
    return ' (write true or false)';
  }
  return '';
}

function sizeMessage(bound: 'least' | 'most', origin: string, limit: number | bigint): string {
  if (origin === 'number' || origin === 'int' || origin === 'bigint') return `must be at ${bound} ${limit}`;
  if (bound === 'least' && Number(limit) === 1) return 'must not be empty';
  const unit = origin === 'string' ? 'characters' : 'entries';
  return `must have at ${bound} ${limit} ${unit}`;
}

function regexMessage(src: string): string {
  let reason = 'not a valid regular expression';
  try {
    new RegExp(src);
  } catch (err) {
    const message = (err as Error).message;
    const prefix = `Invalid regular expression: /${src}/: `;
    reason = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  }
  const python = src.includes('(?P') ? ' (Python\'s (?P<name>...) is written (?<name>...) here)' : '';
  return `invalid regular expression ${JSON.stringify(src)}: ${reason}${python}`;
}

function keysOf(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The keys the schema allows in the object at `path`, found by walking the schema alongside it. */
function allowedKeysAt(path: Path): string[] {
  let schema: z.ZodType = configSchema;
  for (const seg of path) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (schema instanceof z.ZodObject && typeof seg === 'string') schema = schema.shape[seg] as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return [];
    if (schema === undefined) return [];
  }
  while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return keysOf(schema);
}

function unknownKeyMessage(path: Path, key: string): string {
  const base = `unknown key "${key}"`;
  // The common mistake is a key one level too high: a cluster field at the top, a filter on the cluster.
  if (path.length === 0 && keysOf(clusterEntry).includes(key)) return `${base} (it belongs in an entry of clusters)`;
  if (path.length === 2 && path[0] === 'clusters' && keysOf(serviceEntry).includes(key)) {
    return `${base} (it belongs in an entry of services)`;
  }
  const allowed = allowedKeysAt(path);
  const near = allowed.find((k) => k.toLowerCase() === key.toLowerCase()) ?? allowed.find((k) => editDistance(k, key) <= 2);
  if (near !== undefined) return `${base}; did you mean "${near}"?`;
  return allowed.length > 0 ? `${base}; expected one of: ${allowed.join(', ')}` : base;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** A reason built only from the error code: never a path or content the caller did not give. */
export function fileProblem(what: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const prefix = what === '' ? '' : `${what} `;
  switch (code) {
    case 'ENOENT':
      return `${prefix}not found`;
    case 'EISDIR':
      return `${prefix}is a directory, not a file`;
    case 'EACCES':
    case 'EPERM':
      return `${prefix}cannot be read: permission denied`;
    default:
      return `${prefix}cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}
