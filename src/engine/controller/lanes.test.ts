// Head-of-line isolation between destinations: east exports shop/web to b and c, and c's
// apiserver takes every request and never answers. The per-destination lanes must keep
// carrying each change of the key to b while c's item for the same key is stuck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, config, ep, rule, slice, svc } from '../../model/fixtures.test-util.ts';
import { cmp } from '../../model/canonical.ts';
import { storeKey } from '../../vocab/keys.ts';
import type { EndpointSlice } from '../../vocab/objects.ts';
import type { ApiClient, ApiVerb } from '../../kube/client.ts';
import { ScriptedApi, apiError, stored } from '../../kube/scripted-api.test-util.ts';
import { Lanes, SPANNING } from './capability.ts';
import { Reconciler, type ReconcileLog } from './reconciler.ts';
import { topology } from './topology.ts';
import { testWriters } from './writer.test-util.ts';

const quiet: ReconcileLog = { debug() {}, info() {}, warn() {}, error() {} };
const SVCS = '/api/v1/namespaces/shop/services';
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices';

/** A cluster whose apiserver accepts requests and never answers them, until released. */
class HungApi implements ApiClient {
  readonly name = 'c';
  readonly requests: string[] = [];
  readonly #waiting: ((err: Error) => void)[] = [];

  request<T>(method: ApiVerb, path: string): Promise<T> {
    this.requests.push(`${method} ${path}`);
    return new Promise<T>((_resolve, reject) => this.#waiting.push(reject));
  }

  get unanswered(): number {
    return this.#waiting.length;
  }

  release(): void {
    for (const reject of this.#waiting.splice(0)) reject(new Error('released at the end of the test'));
  }
}

async function until(what: string, cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('while destination c never answers, every change of a key still reaches b', async () => {
  const cfg = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['b', 'c'] })]), cluster('b'), cluster('c')]);
  const topo = topology(cfg);
  const bApi = new ScriptedApi('b');
  const cApi = new HungApi();
  const destinations = new Map([...topo.destinations].filter(([c]) => c !== 'east'));
  for (const d of destinations.values()) d.namespaces.set('shop', { metadata: { name: 'shop' } });
  const queues = new Lanes<string>(destinations.keys(), { baseDelayMs: 5, maxDelayMs: 20 }, () => true);
  const reconciler = new Reconciler({
    config: cfg, sources: topo.sources, destinations, writers: testWriters([bApi, cApi]), log: quiet,
    onOwnWrite: (c, keys) => queues.addIn(c, keys),
  });
  const east = topo.sources.get('east')!;
  const putSlice = (s: EndpointSlice) => east.slices[0]!.set(storeKey(s), s);
  east.services[0]!.set('shop/web', svc('shop', 'web'));
  putSlice(slice('shop', 'web', 'web-abc', [ep('10.1.0.1')]));
  bApi.on('GET', `${SVCS}/web`, apiError(404, 'NotFound')).on('POST', SVCS, stored('100')).on('POST', SLICES, stored('101'));
  queues.start((c, key) => reconciler.reconcileIn(c, key), 2);

  try {
    queues.add(['shop/web']);
    const b = destinations.get('b')!;
    await until('the first change in b', () => b.slices.indexed('shop/web').length === 1);
    assert.equal(cApi.unanswered, 1, 'c is holding its item for shop/web');

    const replica = b.slices.indexed('shop/web')[0]!;
    bApi.on('PUT', `${SLICES}/${replica.metadata.name}`, stored('102'));
    const moved = slice('shop', 'web', 'web-abc', [ep('10.1.0.9')]);
    putSlice({ ...moved, metadata: { ...moved.metadata, resourceVersion: '2' } });
    queues.add(['shop/web']);
    await until('the second change in b', () => b.slices.indexed('shop/web')[0]?.endpoints?.[0]?.addresses[0] === '10.1.0.9');

    assert.deepEqual(bApi.unanswered, [], 'b was sent exactly what was scripted');
    assert.deepEqual(cApi.requests, [`GET ${SVCS}/web`], 'c is still stuck on its first request');
    assert.equal(cApi.unanswered, 1);
  } finally {
    const stopped = queues.shutdown();
    cApi.release();
    await stopped;
  }
});

test('a key of a capability with a lane per cluster runs once per lane; one of a spanning capability once, on its own lane', async () => {
  const runs: string[] = [];
  const perCluster = new Lanes<string>(['b', 'c'], { baseDelayMs: 5, maxDelayMs: 20 }, () => true);
  const spanning = new Lanes<string>([SPANNING], { baseDelayMs: 5, maxDelayMs: 20 }, () => true);
  perCluster.start(async (c, key) => { runs.push(`${c} ${key}`); }, 1);
  spanning.start(async (lane, key) => { runs.push(`${lane} ${key}`); }, 1);
  try {
    spanning.add(['shop/web']);
    perCluster.add(['shop/web']);
    await until('three runs', () => runs.length === 3);
    assert.deepEqual([...runs].sort(cmp), ['* shop/web', 'b shop/web', 'c shop/web']);
  } finally {
    await Promise.all([perCluster.shutdown(), spanning.shutdown()]);
  }
});

test('keys added before the controller has started are not changes: nothing is queued', async () => {
  let started = false;
  const runs: string[] = [];
  const lanes = new Lanes<string>(['b'], { baseDelayMs: 5, maxDelayMs: 20 }, () => started);
  lanes.start(async (c, key) => { runs.push(`${c} ${key}`); }, 1);
  try {
    lanes.add(['shop/early']);
    assert.equal(lanes.length, 0, 'an initial list event is not queued');
    started = true;
    lanes.add(['shop/web']);
    await until('one run', () => runs.length === 1);
    assert.deepEqual(runs, ['b shop/web']);
  } finally {
    await lanes.shutdown();
  }
});

test('a lane added while running takes keys at once with the same worker; one removed lets its item in flight finish and takes nothing more', async () => {
  const runs: string[] = [];
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  const lanes = new Lanes<string>(['b'], { baseDelayMs: 5, maxDelayMs: 20 }, () => true);
  lanes.start(async (c, key) => {
    runs.push(`${c} ${key}`);
    if (key === 'shop/slow') await held;
  }, 1);
  try {
    lanes.addLane('d');
    assert.deepEqual([...lanes.names], ['b', 'd']);
    lanes.addIn('d', ['shop/web']);
    await until('d\'s run', () => runs.includes('d shop/web'));
    lanes.addIn('d', ['shop/slow']);
    await until('d\'s slow run in flight', () => lanes.inFlight === 1);
    let removed = false;
    const removing = lanes.removeLane('d').then(() => (removed = true));
    assert.deepEqual([...lanes.names], ['b'], 'no key goes to d from now on');
    lanes.add(['shop/db']);
    await until('b\'s run', () => runs.includes('b shop/db'));
    assert.equal(removed, false, 'the removal waits for d\'s item in flight');
    release();
    await removing;
    assert.deepEqual(runs.filter((r) => r.startsWith('d ')), ['d shop/web', 'd shop/slow']);
  } finally {
    release();
    await lanes.shutdown();
  }
});
