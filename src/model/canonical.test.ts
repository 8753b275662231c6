import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, cmp } from './canonical.ts';

/** The first implementation, written for clarity; the one in canonical.ts is written for speed and must agree. */
function reference(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => cmp(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
}

const withUndefined = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer(), fc.string(),
    fc.array(tie('value')),
    fc.dictionary(fc.string(), tie('value')),
  ),
})).value;

test('canonicalJson agrees with its first implementation: sorted keys (integer-like ones too), no undefined members', () => {
  fc.assert(fc.property(withUndefined, (v) => assert.equal(canonicalJson(v), reference(v))), { numRuns: 500 });
  assert.equal(canonicalJson({ b: 1, a: [undefined, { d: undefined, c: 'x' }], '': 0, '0': 2 }), '{"":0,"0":2,"a":[null,{"c":"x"}],"b":1}');
});
