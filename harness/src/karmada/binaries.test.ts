import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { builtFromPin, KARMADA_MODULE, KARMADA_VERSION } from './binaries.ts';

test('a cached Karmada binary counts only when its build info names the pinned module version', () => {
  const dir = mkdtempSync(join(tmpdir(), 'karmada-pin-'));
  try {
    const pinned = join(dir, 'pinned');
    const other = join(dir, 'other');
    writeFileSync(pinned, `\x00dep\t${KARMADA_MODULE}\t${KARMADA_VERSION}\th1:abc=\n`);
    writeFileSync(other, `\x00dep\t${KARMADA_MODULE}\tv1.17.0\th1:abc=\n`);
    assert.equal(builtFromPin(pinned), true);
    assert.equal(builtFromPin(other), false);
    assert.equal(builtFromPin(join(dir, 'missing')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
