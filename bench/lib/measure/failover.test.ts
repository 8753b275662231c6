import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failbackOf, failoverOf, steady, type Stamped } from './failover.ts';

const near = (r: { pod: string }) => r.pod.startsWith('near');
/** One attempt every 20 ms from t=0, each 2 ms long: 'n' near, 'f' far, 'x' failed. */
const timeline = (s: string): Stamped[] => [...s].map((c, i) => ({
  t: i * 20, ms: 2, ...(c === 'x' ? { error: 'ETIMEDOUT' } : { reply: { pod: c === 'n' ? 'near-0' : 'far-0', cluster: c === 'n' ? 'b' : 'a' } }),
}));

test('tiers: every attempt near, then failures, then far: the window runs from the last near answer to the first far one', () => {
  const f = failoverOf(timeline('nnnnxxxxffffff'), near, 40);
  assert.deepEqual(f, { windowMs: 100, failed: 4 });
});

test('a plain Service: far answers among the failures end the window only after the last failure', () => {
  assert.deepEqual(failoverOf(timeline('nfnfxfxfxffff'), near, 40), { windowMs: 140, failed: 3 });
});

test('no failure at all: the window is the gap to the next far answer', () => {
  assert.deepEqual(failoverOf(timeline('nnnffff'), near, 40), { windowMs: 20, failed: 0 });
});

test('not settled yet: no far answer, too short a run of them, or a near answer last', () => {
  assert.equal(failoverOf(timeline('nnnxxx'), near, 40), undefined);
  assert.equal(failoverOf(timeline('nnnxxff'), near, 40), undefined);
  assert.equal(failoverOf(timeline('ffffn'), near, 40), undefined);
  assert.equal(failoverOf(timeline('ffff'), near, 40), undefined, 'no near answer: nothing to fail over from');
});

test('failback counts from Ready to the end of the first near answer after it', () => {
  const t = timeline('ffffffnn');
  assert.equal(failbackOf(t, 50, near), 72);
  assert.equal(failbackOf(timeline('ffff'), 0, near), undefined);
});

test('steady: all answered, and near only when the setup routes near only', () => {
  assert.equal(steady(timeline('nnnn'), near, true, 4), true);
  assert.equal(steady(timeline('nfnf'), near, true, 4), false);
  assert.equal(steady(timeline('nfnf'), near, false, 4), true);
  assert.equal(steady(timeline('ffff'), near, false, 4), false);
  assert.equal(steady(timeline('nnxn'), near, false, 4), false);
  assert.equal(steady(timeline('nnn'), near, true, 4), false);
});
