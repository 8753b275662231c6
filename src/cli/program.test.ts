import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from './program.ts';

/** Parses argv with every command's exits and output captured; resolves to the usage error's text, or '' when there was none. */
async function usageError(program: ReturnType<typeof buildProgram>, argv: string[]): Promise<string> {
  let err = '';
  for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: () => {} });
  await program.parseAsync(['node', 'mcsync', ...argv]).catch((e: { code?: string }) => {
    if (!e.code?.startsWith('commander.')) throw e;
  });
  return err;
}

test('-o wide is an output of the commands with a wider table, and a usage error elsewhere', async () => {
  const quiet = { out: () => {}, err: () => {}, setExitCode: () => {} };
  // No --config: each command that accepts the flags stops at "--config FILE is required".
  for (const cmd of ['status', 'plan', 'doctor']) assert.equal(await usageError(buildProgram(quiet), [cmd, '-o', 'wide']), '', cmd);
  for (const cmd of ['sync', 'prune']) {
    assert.match(await usageError(buildProgram(quiet), [cmd, '-o', 'wide']), /argument 'wide' is invalid\. Allowed choices are table, json, yaml\./, cmd);
  }
});

test('help names the program as it was invoked: `kubectl mcsync` as kubectl\'s plugin', () => {
  const status = (name?: string) => buildProgram(undefined, name).commands.find((c) => c.name() === 'status')!.helpInformation();
  assert.match(status('kubectl mcsync'), /^Usage: kubectl mcsync status \[options\]/);
  assert.match(status(), /^Usage: mcsync status \[options\]/);
});

test('export / unexport: a target that is not NAMESPACE/NAME is a usage error (exit 64) with the reason, before any config is read', async () => {
  for (const verb of ['export', 'unexport']) {
    let err = '';
    let code: number | undefined;
    const io = { out: () => {}, err: (s: string) => (err += s), setExitCode: (c: number) => (code = c) };
    // The config does not exist: reaching it would be a different error.
    await buildProgram(io).parseAsync(['node', 'mcsync', verb, 'Shop/Hello World', '--cluster', 'a', '--config', '/nonexistent/mcsync.yaml']);
    assert.equal(code, 64, verb);
    assert.match(err, /"Shop\/Hello World" is not NAMESPACE\/NAME of a Service/, verb);
  }
});
