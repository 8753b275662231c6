import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { render } from './output.ts';

test('-o yaml reads back unchanged under YAML 1.1 and 1.2, whatever the strings look like', () => {
  const tricky = ['y', 'n', 'no', 'on', 'off', 'yes', 'true', 'null', '~', '1e3', '0x1f', '0o17', '012', '.inf', 'a: b', '# c', ''];
  const data = { services: tricky.map((name) => ({ name, sources: [name], labels: { [name || 'empty']: name } })), count: 3, ok: true };
  const text = render(data, 'yaml');
  assert.deepEqual(parse(text, { version: '1.2' }), data);
  assert.deepEqual(parse(text, { version: '1.1' }), data);
});
