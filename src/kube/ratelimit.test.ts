import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './ratelimit.ts';

// A fake clock whose sleep advances time by exactly what was asked, and records it.
function fakeTime() {
  const clock = { t: 0, sleeps: [] as number[] };
  const now = () => clock.t;
  const sleep = async (ms: number) => {
    clock.sleeps.push(ms);
    clock.t += ms;
  };
  return { clock, now, sleep };
}

test('a burst of takes is immediate and the next waits 1/qps seconds', async () => {
  const { clock, now, sleep } = fakeTime();
  const bucket = new TokenBucket({ qps: 10, burst: 5, now, sleep });
  for (let i = 0; i < 5; i++) await bucket.take();
  assert.deepEqual(clock.sleeps, []);
  assert.equal(clock.t, 0);
  assert.equal(bucket.tryTake(), false);
  await bucket.take();
  assert.deepEqual(clock.sleeps, [100]);
  assert.equal(clock.t, 100);
});

test('a partly refilled bucket waits only for the missing fraction', async () => {
  const { clock, now, sleep } = fakeTime();
  const bucket = new TokenBucket({ qps: 4, burst: 1, now, sleep });
  await bucket.take();
  clock.t += 100;
  await bucket.take();
  assert.deepEqual(clock.sleeps, [150]);
});

test('idle time refills up to burst and no further', async () => {
  const { clock, now, sleep } = fakeTime();
  const bucket = new TokenBucket({ qps: 10, burst: 3, now, sleep });
  for (let i = 0; i < 3; i++) assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  clock.t += 60_000;
  const taken = Array.from({ length: 10 }, () => bucket.tryTake()).filter(Boolean).length;
  assert.equal(taken, 3);
  assert.deepEqual(clock.sleeps, []);
});

test('waiters are served in the order they called, one interval apart', async () => {
  const { clock, now, sleep } = fakeTime();
  const bucket = new TokenBucket({ qps: 10, burst: 1, now, sleep });
  await bucket.take();
  const order: number[] = [];
  const waits = [1, 2, 3, 4].map((n) => bucket.take().then(() => order.push(n)));
  assert.equal(bucket.tryTake(), false, 'tryTake does not jump the queue');
  await Promise.all(waits);
  assert.deepEqual(order, [1, 2, 3, 4]);
  assert.deepEqual(clock.sleeps, [100, 100, 100, 100]);
  assert.equal(clock.t, 400);
});

test('qps Infinity never waits', async () => {
  const { clock, now, sleep } = fakeTime();
  const bucket = new TokenBucket({ qps: Infinity, burst: 1, now, sleep });
  for (let i = 0; i < 1000; i++) await bucket.take();
  for (let i = 0; i < 1000; i++) assert.equal(bucket.tryTake(), true);
  assert.deepEqual(clock.sleeps, []);
});

test('zero, negative or NaN qps and a burst below one are rejected', () => {
  for (const qps of [0, -1, NaN]) assert.throws(() => new TokenBucket({ qps, burst: 1 }), RangeError);
  for (const burst of [0, 0.5, NaN, Infinity]) assert.throws(() => new TokenBucket({ qps: 5, burst }), RangeError);
});
