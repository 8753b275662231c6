import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, type QueueDoneInfo } from './queue.ts';

// The queue starts workers on setImmediate, which the tests leave real; a few turns let
// every ready worker start and every settled one finish.
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('a burst of adds of one key becomes one run', async () => {
  const q = new WorkQueue();
  const runs: string[] = [];
  q.start(async (key) => void runs.push(key), 4);
  for (let i = 0; i < 100; i++) q.add('shop/web');
  assert.equal(q.length, 1);
  await turns();
  assert.deepEqual(runs, ['shop/web']);
  assert.equal(q.length, 0);
  await q.shutdown();
});

test('a key added during its run runs exactly once more, never alongside itself', async () => {
  const q = new WorkQueue();
  let running = 0;
  let peak = 0;
  let runs = 0;
  const gates = [deferred(), deferred()];
  q.start(async () => {
    const gate = gates[runs++];
    running++;
    peak = Math.max(peak, running);
    await gate?.promise;
    running--;
  }, 4);
  q.add('shop/web');
  await turns();
  assert.equal(q.inFlight, 1);
  for (let i = 0; i < 10; i++) q.add('shop/web');
  assert.equal(q.length, 0, 'an in-flight key is marked dirty, not queued beside itself');
  await turns();
  assert.equal(runs, 1);
  gates[0]!.resolve();
  await turns();
  assert.equal(runs, 2);
  gates[1]!.resolve();
  await turns();
  assert.equal(runs, 2);
  assert.equal(peak, 1);
  await q.shutdown();
});

test('never more than the concurrency in flight across keys, in FIFO order', async () => {
  const q = new WorkQueue();
  let running = 0;
  let peak = 0;
  const order: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred>>();
  q.start(async (key) => {
    order.push(key);
    running++;
    peak = Math.max(peak, running);
    const gate = deferred();
    gates.set(key, gate);
    await gate.promise;
    running--;
  }, 3);
  const keys = Array.from({ length: 10 }, (_, i) => `ns/s${i}`);
  for (const k of keys) q.add(k);
  await turns();
  assert.equal(q.inFlight, 3);
  assert.equal(q.length, 7);
  while (order.length < keys.length || running > 0) {
    for (const [key, gate] of gates) {
      gates.delete(key);
      gate.resolve();
    }
    await turns();
  }
  assert.equal(peak, 3);
  assert.deepEqual(order, keys);
  await q.shutdown();
});

test('a failing key backs off exponentially and resets after a success', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const q = new WorkQueue({ random: () => 0.5, baseDelayMs: 100, maxDelayMs: 1000 });
  let runs = 0;
  let failUntil = 6;
  q.start(async () => {
    runs++;
    if (runs <= failUntil) throw new Error('apiserver said no');
  }, 1);
  q.add('shop/web');
  await turns();
  assert.equal(runs, 1);

  // Each retry lands exactly on its delay: one millisecond early it has not run yet.
  const expected = [100, 200, 400, 800, 1000, 1000];
  for (const [i, delay] of expected.entries()) {
    assert.equal(q.failures('shop/web'), i + 1);
    t.mock.timers.tick(delay - 1);
    await turns();
    assert.equal(runs, i + 1, `retry ${i + 1} not before ${delay}ms`);
    t.mock.timers.tick(1);
    await turns();
    assert.equal(runs, i + 2, `retry ${i + 1} at ${delay}ms`);
  }
  assert.equal(q.failures('shop/web'), 0, 'the seventh run succeeded');

  // After the reset the next failure starts again from the base delay.
  failUntil = Infinity;
  q.add('shop/web');
  await turns();
  assert.equal(q.failures('shop/web'), 1);
  t.mock.timers.tick(99);
  await turns();
  assert.equal(runs, 8);
  t.mock.timers.tick(1);
  await turns();
  assert.equal(runs, 9);
  await q.shutdown();
});

test('jitter stays within ±20% and under maxDelayMs', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  // The first retry delay, probed by ticking: at random 0 it is 80ms; near 1 it would be
  // almost 120ms but maxDelayMs caps it at 110.
  for (const [random, delay] of [[0, 80], [0.999999, 110]] as const) {
    const q = new WorkQueue({ random: () => random, baseDelayMs: 100, maxDelayMs: 110 });
    let runs = 0;
    q.start(async () => {
      runs++;
      throw new Error('no');
    }, 1);
    q.add('k');
    await turns();
    t.mock.timers.tick(delay - 1);
    await turns();
    assert.equal(runs, 1);
    t.mock.timers.tick(1);
    await turns();
    assert.equal(runs, 2, `random ${random} retries at ${delay}ms`);
    await q.shutdown();
  }
});

test('shutdown waits for in-flight work, cancels timers and refuses later adds', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const q = new WorkQueue();
  const started: string[] = [];
  const gate = deferred();
  q.start(async (key) => {
    started.push(key);
    if (key === 'a') await gate.promise;
  }, 1);
  q.add('a');
  q.add('b');
  q.addAfter('c', 50);
  await turns();
  assert.deepEqual(started, ['a']);

  let stopped = false;
  const done = q.shutdown().then(() => (stopped = true));
  q.add('d');
  q.addAfter('e', 10);
  await turns();
  assert.equal(stopped, false, 'a is still running');
  gate.resolve();
  await done;
  t.mock.timers.tick(1000);
  await turns();
  assert.deepEqual(started, ['a'], 'queued b is dropped; c, d and e never run');
  assert.equal(q.length, 0);
  assert.equal(q.inFlight, 0);
});

test('addAfter keeps the earliest deadline for a key', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const q = new WorkQueue();
  let runs = 0;
  q.start(async () => void runs++, 1);
  q.addAfter('k', 50);
  q.addAfter('k', 200);
  q.addAfter('k', 100);
  t.mock.timers.tick(50);
  await turns();
  assert.equal(runs, 1);
  t.mock.timers.tick(500);
  await turns();
  assert.equal(runs, 1, 'the later deadlines were folded into the first');
  await q.shutdown();
});

test('onDone reports wait from first enqueue, run time and outcome', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const done: [string, QueueDoneInfo][] = [];
  const q = new WorkQueue({ now: () => clock, random: () => 0.5, onDone: (key, info) => done.push([key, info]) });
  q.add('ok');
  clock = 5;
  q.add('ok');
  q.add('bad');
  clock = 12;
  q.start(async (key) => {
    clock += key === 'ok' ? 3 : 4;
    if (key === 'bad') throw new Error('boom');
  }, 1);
  await turns();
  assert.deepEqual(done, [
    ['ok', { waitMs: 12, runMs: 3, ok: true }],
    ['bad', { waitMs: 10, runMs: 4, ok: false }],
  ]);
  await q.shutdown();
});

test('start rejects a non-positive concurrency and a second start', () => {
  const q = new WorkQueue();
  assert.throws(() => q.start(async () => {}, 0), RangeError);
  q.start(async () => {}, 1);
  assert.throws(() => q.start(async () => {}, 1), /already started/);
  void q.shutdown();
});

test('oldestInFlight names the key running longest and for how long; nothing once the runs end', async () => {
  let clock = 100;
  const runs = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const q = new WorkQueue({ now: () => clock });
  assert.equal(q.oldestInFlight(), undefined);
  q.start((key) => {
    const d = deferred();
    runs.set(key, d);
    return d.promise;
  }, 2);
  q.add('first');
  await turns();
  clock = 130;
  q.add('second');
  await turns();
  clock = 200;
  assert.deepEqual(q.oldestInFlight(), { key: 'first', forMs: 100 });
  runs.get('first')!.resolve();
  await turns();
  assert.deepEqual(q.oldestInFlight(), { key: 'second', forMs: 70 });
  runs.get('second')!.resolve();
  await turns();
  assert.equal(q.oldestInFlight(), undefined);
  await q.shutdown();
});
