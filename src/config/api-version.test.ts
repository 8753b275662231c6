// The config format's version header (docs/upgrading.md): optional, `mcsync.io/v1` the only
// value; a config with it loads exactly as the same config without it, anything else is
// refused at its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load.ts';

const body = ['clusters:', '- name: a', '  kubeconfig: /cfg/a', '  services:', '  - namespace: stars', '- name: b', '  kubeconfig: /cfg/b'];
const text = (...ls: string[]) => `${ls.join('\n')}\n`;
const parse = (t: string) => parseConfigText(t, 'mcsync.yaml', { checkKubeconfigs: false });

test('apiVersion: mcsync.io/v1 is accepted, and changes nothing', () => {
  const without = parse(text(...body));
  const withIt = parse(text('apiVersion: mcsync.io/v1', ...body));
  // Positions differ by the header's line; everything else is the same config.
  const strip = (c: unknown) => JSON.parse(JSON.stringify(c, (k, v: unknown) => (k === 'line' ? undefined : v))) as unknown;
  assert.deepEqual(strip(withIt), strip(without));
});

test('another apiVersion is refused at its line, naming the field', () => {
  for (const v of ['mcsync.io/v2', 'v1', '1']) {
    assert.throws(() => parse(text(`apiVersion: ${v}`, ...body)), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^mcsync\.yaml:1: apiVersion: /);
      return true;
    });
  }
});
