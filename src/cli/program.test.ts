import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildProgram } from './program.ts';

test('mcsync --version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  let out = '';
  const program = buildProgram().exitOverride().configureOutput({ writeOut: (s) => (out += s) });
  await assert.rejects(program.parseAsync(['node', 'mcsync', '--version']), { code: 'commander.version' });
  assert.equal(out.trim(), pkg.version);
});
