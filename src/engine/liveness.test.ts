import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WATCH_OPEN_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, type ListerWatcher } from '../kube/client.ts';
import { REFLECTOR_BACKOFF } from '../kube/backoff.ts';
import { Reflector, inactivityLimitMs, reflectorQuietLimitMs } from '../kube/reflector.ts';
import { Store, type Listed } from '../kube/store.ts';
import { judgeLiveness, type LivenessBounds, type LivenessSignals } from './liveness.ts';

const NOW = 1_000_000_000;
const BOUNDS: LivenessBounds = { reflectorQuietMs: 60_000, workerStuckMs: 600_000 };
const idle: LivenessSignals = {
  reflectors: [{ cluster: 'a', path: '/api/v1/services', lastProgressAt: NOW - 2_000 }],
  workers: [],
  lease: { leading: true, lastRenewAt: NOW - 2_000, leaseDurationMs: 15_000 },
};

test('a controller whose loops run is live', () => {
  assert.deepEqual(judgeLiveness(idle, NOW, BOUNDS), { ok: true, problems: [] });
  assert.deepEqual(judgeLiveness({ reflectors: [], workers: [] }, NOW, BOUNDS), { ok: true, problems: [] }, 'no leader election');
});

test('a reflector quiet past its limit fails, named by cluster and path; at the limit it does not', () => {
  const at = (ago: number): LivenessSignals => ({ ...idle, reflectors: [...idle.reflectors, { cluster: 'b', path: '/api/v1/namespaces', lastProgressAt: NOW - ago }] });
  assert.equal(judgeLiveness(at(60_000), NOW, BOUNDS).ok, true);
  assert.deepEqual(judgeLiveness(at(61_000), NOW, BOUNDS), {
    ok: false, problems: ['watch of /api/v1/namespaces on b neither received nor reported an error for 61s (limit 60s)'],
  });
});

test('a worker on one item past its bound fails, named by queue and key', () => {
  const v = judgeLiveness({ ...idle, workers: [{ queue: 'b', key: 'shop/web', forMs: 600_001 }, { queue: '(spanning)', key: 'mcs:shop/web', forMs: 5 }] }, NOW, BOUNDS);
  assert.deepEqual(v, { ok: false, problems: ['worker of queue b stuck on shop/web for 600s (limit 600s)'] });
});

test('a leader without a successful renew for longer than the lease duration fails; a follower never does', () => {
  const lease = { leading: true, lastRenewAt: NOW - 15_001, leaseDurationMs: 15_000 };
  assert.deepEqual(judgeLiveness({ ...idle, lease }, NOW, BOUNDS).problems, ['leads without a successful renew for 15s (lease duration 15s)']);
  assert.equal(judgeLiveness({ ...idle, lease: { ...lease, leading: false } }, NOW, BOUNDS).ok, true);
  assert.equal(judgeLiveness({ ...idle, lease: { ...lease, lastRenewAt: NOW - 15_000 } }, NOW, BOUNDS).ok, true);
});

test('live exactly when no signal is past its bound, with one problem per signal that is', () => {
  const ago = fc.integer({ min: 0, max: 1_000_000 });
  fc.assert(fc.property(fc.array(ago, { maxLength: 5 }), fc.array(ago, { maxLength: 5 }), fc.boolean(), ago, (quiet, running, leading, renewAgo) => {
    const s: LivenessSignals = {
      reflectors: quiet.map((q, i) => ({ cluster: `c${i}`, path: '/p', lastProgressAt: NOW - q })),
      workers: running.map((forMs, i) => ({ queue: `q${i}`, key: 'k', forMs })),
      lease: { leading, lastRenewAt: NOW - renewAgo, leaseDurationMs: 15_000 },
    };
    const over = quiet.filter((q) => q > BOUNDS.reflectorQuietMs).length + running.filter((r) => r > BOUNDS.workerStuckMs).length + (leading && renewAgo > 15_000 ? 1 : 0);
    const v = judgeLiveness(s, NOW, BOUNDS);
    assert.equal(v.problems.length, over);
    assert.equal(v.ok, over === 0);
  }));
});

test('a reflector\'s quiet limit exceeds every wait of a running loop, whatever the watch timeout', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 3600 }), (watchTimeoutSeconds) => {
    const limit = reflectorQuietLimitMs(watchTimeoutSeconds);
    // An open idle stream (ended by the server, or by the watchdog past inactivityLimitMs), an unanswered watch, a list page, a backoff.
    for (const wait of [inactivityLimitMs(watchTimeoutSeconds), WATCH_OPEN_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, REFLECTOR_BACKOFF.maxMs]) {
      assert.ok(limit >= 2 * wait, `${limit} ms against a wait of ${wait} ms (watch timeout ${watchTimeoutSeconds} s)`);
    }
  }));
  assert.equal(reflectorQuietLimitMs(300), 180_000, 'the default 5m watch timeout');
  assert.equal(reflectorQuietLimitMs(2), 60_000);
});

test('a reflector whose list never returns stops showing progress, and is judged stuck once past the limit', async () => {
  let listed!: () => void;
  const asked = new Promise<void>((r) => (listed = r));
  const wedged: ListerWatcher = {
    name: 'wedged',
    list: () => { listed(); return new Promise(() => {}); },
    watch: () => new Promise(() => {}),
  };
  const r = new Reflector<Listed>({ listerWatcher: wedged, store: new Store<Listed>(), path: '/api/v1/services', watchTimeoutSeconds: 2 });
  r.start();
  await asked;
  const { lastProgressAt, path } = r.liveness();
  assert.equal(path, '/api/v1/services');
  const limit = reflectorQuietLimitMs(2);
  const signals = (now: number) => judgeLiveness({ reflectors: [{ cluster: 'a', ...r.liveness() }], workers: [] }, now, { ...BOUNDS, reflectorQuietMs: limit });
  assert.equal(signals(lastProgressAt + limit).ok, true);
  assert.equal(signals(lastProgressAt + limit + 1).ok, false);
  assert.equal(r.liveness().lastProgressAt, lastProgressAt, 'a list in flight is not progress');
});
