import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growth, slope, type SoakSample } from './soak.ts';

const sample = (t: number, rssMB: number): SoakSample => ({ t, rssMB, heapUsedMB: 50, sockets: 9, fds: 30, watches: 12, writesPerSecond: 100, changesPerSecond: 50, queued: 0 });

test('slope is the least-squares trend, 0 without two points', () => {
  assert.equal(slope([0, 1, 2], [1, 3, 5]), 2);
  assert.equal(slope([1], [4]), 0);
  assert.equal(slope([2, 2], [1, 5]), 0, 'no spread in x');
});

test('growth leaves out the warm-up and compares the first and last windows', () => {
  // RSS climbs in the first 60 s, then holds at 100 except for a leak of 10 MB per hour.
  const samples = Array.from({ length: 361 }, (_, i) => i * 10).map((t) => sample(t, t < 60 ? 40 + t : 100 + (10 * t) / 3600));
  const g = growth(samples, 60, 300);
  assert.ok(Math.abs(g.rssMB.perHour - 10) < 1e-6, `${g.rssMB.perHour}`);
  // Medians of the samples at t = 60…350 and 3310…3600: 205 s and 3455 s.
  assert.ok(Math.abs(g.rssMB.first - (100 + 10 * 205 / 3600)) < 0.01 && Math.abs(g.rssMB.last - (100 + 10 * 3455 / 3600)) < 0.01, JSON.stringify(g.rssMB));
  assert.equal(g.watches.perHour, 0);
});
