import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { endOnClosedOutput } from './closed-output.ts';
import { EXIT } from './io.ts';
import { unreachableConfig } from './unreachable-config.test-util.ts';

test('EPIPE on stdout ends the process with 141; on stderr it is ignored; other errors still surface', () => {
  const out = new EventEmitter();
  const err = new EventEmitter();
  const codes: number[] = [];
  endOnClosedOutput(out, err, (c) => codes.push(c));
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
  err.emit('error', epipe);
  assert.deepEqual(codes, []);
  out.emit('error', epipe);
  assert.deepEqual(codes, [EXIT.closedOutput]);
  assert.throws(() => out.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' })), /EIO/);
});

// The CLI as `mcsync doctor | head -1` runs it, against clusters nobody listens for (a port on
// loopback that refuses), which made it print a stack trace or hang before.
const dir = mkdtempSync(join(tmpdir(), 'mcsync-closed-output-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const config = unreachableConfig(dir, ['a', 'b', 'c']);
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs `mcsync doctor`; `closeAfter`: the reader closes stdout once it has read that many lines (0: before any). */
function doctorInto(closeAfter: number): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [main, 'doctor', '--config', config, '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let seen = '';
  if (closeAfter === 0) child.stdout.destroy();
  else child.stdout.on('data', (d: Buffer) => {
    seen += d.toString();
    if (seen.split('\n').length > closeAfter) child.stdout.destroy();
  });
  // A bound, not a measurement: a process still running after it is the hang this guards against.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(killer);
    resolve({ code, signal, stderr });
  }));
}

test('a reader that closes stdout after the first line: the CLI ends by itself, with no stack trace', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await doctorInto(1);
    assert.equal(r.signal, null, 'it ended by itself, not by the bound');
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /, 'no stack trace');
    // 141 when a write found the pipe closed, 1 (a check failed) when everything fit in before.
    assert.ok(r.code === EXIT.closedOutput || r.code === EXIT.partial, `exit ${r.code}\n${r.stderr}`);
  }
});

test('stdout closed before anything is written: exit 141, quietly', async () => {
  const r = await doctorInto(0);
  assert.equal(r.signal, null);
  assert.equal(r.stderr, '');
  assert.equal(r.code, EXIT.closedOutput);
});
