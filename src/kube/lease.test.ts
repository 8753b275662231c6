import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError, type KubeClient, type RequestOpts } from './client.ts';
import { LeaderElector, leaseDurationSeconds, leaseExpired, leaseIdentity, microTime, type Lease } from './lease.ts';

test('MicroTime has six fractional digits', () => {
  assert.equal(microTime(Date.UTC(2026, 10, 25, 14, 0, 0, 123)), '2026-11-25T14:00:00.123000Z');
});

test('the recorded duration rounds up, so nobody expires a holder before its own deadline', () => {
  assert.equal(leaseDurationSeconds(1500), 2);
  assert.equal(leaseDurationSeconds(15_000), 15);
  assert.equal(leaseDurationSeconds(200), 1);
});

test('expiry is judged from when we saw the record change, by the duration the holder wrote', () => {
  assert.equal(leaseExpired(1000, { leaseDurationSeconds: 2 }, 99_999, 3000), false);
  assert.equal(leaseExpired(1000, { leaseDurationSeconds: 2 }, 99_999, 3001), true);
  assert.equal(leaseExpired(1000, {}, 500, 1501), true, 'no duration in the record: ours');
});

test('identities differ between electors of one process', () => {
  assert.notEqual(leaseIdentity(), leaseIdentity());
  assert.match(leaseIdentity(), new RegExp(`_${process.pid}_[0-9a-f]+$`));
});

// An in-memory Lease endpoint with resourceVersion preconditions; `hang` holds every request.
function fakeApi() {
  const state = { lease: undefined as Lease | undefined, rv: 0, hang: false, held: [] as (() => void)[] };
  const client = {
    name: 'fake',
    async request<T>(method: string, path: string, ro: RequestOpts = {}): Promise<T> {
      if (state.hang) await new Promise<void>((r) => state.held.push(r));
      const body = structuredClone(ro.body) as Lease | undefined;
      if (method === 'GET') {
        if (!state.lease) throw new KubeApiError(404, 'NotFound', 'not found');
        return structuredClone(state.lease) as T;
      }
      if (method === 'POST') {
        if (state.lease) throw new KubeApiError(409, 'AlreadyExists', 'exists');
      } else if (body?.metadata.resourceVersion !== String(state.rv)) {
        throw new KubeApiError(409, 'Conflict', `conflict on ${path}`);
      }
      state.lease = { ...body!, metadata: { ...body!.metadata, resourceVersion: String(++state.rv) } };
      return structuredClone(state.lease) as T;
    },
  };
  return { state, client: client as unknown as KubeClient };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a renew that hangs ends leadership at the deadline; it leads again once the server answers', async () => {
  const { state, client } = fakeApi();
  const calls: string[] = [];
  const el = new LeaderElector({
    client, namespace: 'ns', name: 'l', identity: 'me',
    leaseDurationMs: 300, renewDeadlineMs: 150, retryPeriodMs: 20,
    onStartedLeading: () => calls.push('start'),
    onStoppedLeading: () => calls.push('stop'),
  });
  el.start();
  await until(() => el.isLeader, 'leading');
  state.hang = true;
  await until(() => !el.isLeader, 'the deadline to end leadership');
  assert.deepEqual(calls, ['start', 'stop']);
  await until(() => state.held.length > 0, 'a hung request');
  state.hang = false;
  for (const r of state.held.splice(0)) r();
  await until(() => el.isLeader, 'leading again');
  assert.deepEqual(calls, ['start', 'stop', 'start']);
  await el.stop();
  assert.deepEqual(calls, ['start', 'stop', 'start', 'stop']);
  assert.equal(state.lease?.spec?.holderIdentity, '', 'released');
  assert.equal(state.lease?.spec?.leaseTransitions, 0, 'the same holder throughout');
});

test('liveness shows a leader whose renew stopped past the lease duration, when the deadline timer has not ended its term', async () => {
  const { state, client } = fakeApi();
  let clock = 1_000;
  // A renew deadline far beyond the test, so only the injected clock moves past it: the state a
  // wedged loop would leave, which the liveness check must see.
  const el = new LeaderElector({
    client, namespace: 'ns', name: 'l', identity: 'me', now: () => clock,
    leaseDurationMs: 600_000, renewDeadlineMs: 300_000, retryPeriodMs: 20,
    onStartedLeading: () => {}, onStoppedLeading: () => {},
  });
  el.start();
  await until(() => el.isLeader, 'leading');
  assert.deepEqual(el.liveness(), { leading: true, lastRenewAt: 1_000, leaseDurationMs: 600_000 });
  state.hang = true;
  await until(() => state.held.length > 0, 'a hung renew');
  clock = 1_000 + 600_001;
  assert.deepEqual(el.liveness(), { leading: true, lastRenewAt: 1_000, leaseDurationMs: 600_000 });
  state.hang = false;
  for (const r of state.held.splice(0)) r();
  await until(() => el.liveness().lastRenewAt > 1_000, 'a renew that succeeds');
  await el.stop();
  assert.equal(el.liveness().leading, false);
});

test('errors from the server and from callbacks never end the loop', async () => {
  const { state, client } = fakeApi();
  let fail = 3;
  const flaky = {
    name: 'flaky',
    request: async (...args: Parameters<KubeClient['request']>) => {
      if (fail-- > 0) throw new KubeApiError(503, 'ServiceUnavailable', 'try later');
      return client.request(...args);
    },
  } as unknown as KubeClient;
  const el = new LeaderElector({
    client: flaky, namespace: 'ns', name: 'l', identity: 'me',
    leaseDurationMs: 300, renewDeadlineMs: 150, retryPeriodMs: 20,
    onStartedLeading: () => { throw new Error('callback bug'); },
    onStoppedLeading: () => {},
  });
  el.start();
  await until(() => el.isLeader, 'leading after errors');
  await until(() => state.rv >= 3, 'renewals after a throwing callback');
  await el.stop({ release: false });
  assert.equal(state.lease?.spec?.holderIdentity, 'me', 'not released');
});
