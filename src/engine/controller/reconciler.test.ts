// The reconciler against in-memory stores and scripted API clients: no reflectors, no
// servers. Each test scripts what a destination's apiserver answers and checks what was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../config/types.ts';
import { cluster, config, ep, rule, slice, svc } from '../../model/fixtures.test-util.ts';
import { storeKey } from '../../vocab/keys.ts';
import { upsert } from '../../kube/store.ts';
import { SERVICE_NAME } from '../../vocab/labels.ts';
import type { EndpointSlice, Service } from '../../vocab/objects.ts';
import { ScriptedApi, apiError, stored } from '../../kube/scripted-api.test-util.ts';
import { destinationItem } from './destination-items.ts';
import { PendingPropagations } from './propagation.ts';
import { Reconciler, type ReconcileLog } from './reconciler.ts';
import { topology } from './topology.ts';
import { testWriter, testWriters } from './writer.test-util.ts';

const quiet: ReconcileLog = { debug() {}, info() {}, warn() {}, error() {} };

const SVCS = '/api/v1/namespaces/shop/services';
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices';

/** east exports namespace shop to west; west already has the namespace. */
function world(cfg: Config = config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] })]), cluster('west')]), propagation?: PendingPropagations) {
  const topo = topology(cfg);
  const apis = new Map([...topo.destinations.keys()].map((c) => [c, new ScriptedApi(c)]));
  const destinations = topo.destinations;
  const writers = testWriters(apis.values());
  destinations.get('west')!.namespaces.set('shop', { metadata: { name: 'shop' } });
  const stale = new Set<string>();
  const ownWrites: string[] = [];
  const reconciler = new Reconciler({
    config: cfg, sources: topo.sources, destinations, writers, log: quiet, propagation,
    isStale: (c) => stale.has(c),
    onOwnWrite: (c, keys) => ownWrites.push(...keys.map((k) => `${c} ${k}`)),
  });
  const east = topo.sources.get('east')!;
  const put = {
    service: (s: Service) => east.services[0]!.set(storeKey(s), s),
    slice: (s: EndpointSlice) => east.slices[0]!.set(storeKey(s), s),
  };
  /** The key in every destination, as the per-destination queues would run it. */
  const reconcile = async (key: string) => {
    const failures = (await Promise.allSettled([...destinations.keys()].map((c) => reconciler.reconcileIn(c, key)))).filter((r) => r.status === 'rejected');
    if (failures.length) throw (failures[0] as PromiseRejectedResult).reason;
  };
  return { reconciler, reconcile, writers, west: destinations.get('west')!, westApi: apis.get('west')!, eastApi: apis.get('east')!, put, stale, ownWrites, east };
}

/** Scripts west's answers for a first replication of `name`: not there yet, then created. */
function scriptCreate(api: ScriptedApi, name: string, rv: number): void {
  api.on('GET', `${SVCS}/${name}`, apiError(404, 'NotFound')).on('POST', SVCS, stored(String(rv))).on('POST', SLICES, stored(String(rv + 1)));
}

const exported = (name: string, ip: string) => [svc('shop', name), slice('shop', name, `${name}-abc`, [ep(ip)])] as const;

/** east exports shop/`name` with one pod at `ip`; put into east's caches. */
function putExport(w: ReturnType<typeof world>, name: string, ip: string): void {
  const [service, sl] = exported(name, ip);
  w.put.service(service);
  w.put.slice(sl);
}

test('a new export creates the Service, then its slice, and the created objects land in the caches', async () => {
  const w = world();
  putExport(w, 'web', '10.1.0.1');
  scriptCreate(w.westApi, 'web', 100);

  await w.reconcile('shop/web');

  assert.deepEqual(w.westApi.requests.map((r) => `${r.method} ${r.path}`), [`GET ${SVCS}/web`, `POST ${SVCS}`, `POST ${SLICES}`]);
  assert.deepEqual(w.eastApi.requests, [], 'nothing is written back to the source');
  assert.equal(w.west.services.get('shop/web')?.metadata.resourceVersion, '100');
  assert.equal(w.west.slices.indexed('shop/web').length, 1);
  assert.equal(w.west.slices.indexed('shop/web')[0]?.endpoints?.[0]?.addresses[0], '10.1.0.1');
  assert.deepEqual(w.ownWrites, [], 'writes the server took as planned need no second reconcile');
});

test('a write the server answers with something other than planned is reported, so the key is planned again', async () => {
  const w = world();
  putExport(w, 'web', '10.1.0.1');
  const mutated = (req: { body?: unknown }) => {
    const body = req.body as EndpointSlice;
    return { ...body, metadata: { ...body.metadata, resourceVersion: '101', uid: 'u', labels: { ...body.metadata.labels, 'webhook.example/added': 'yes' } } };
  };
  w.westApi.on('GET', `${SVCS}/web`, apiError(404, 'NotFound')).on('POST', SVCS, stored('100')).on('POST', SLICES, mutated);

  await w.reconcile('shop/web');

  assert.deepEqual(w.ownWrites, ['west shop/web'], 'only the slice, which came back changed');
});

test('reconciling again after its own writes sends nothing: the caches already hold them', async () => {
  const w = world();
  putExport(w, 'web', '10.1.0.1');
  scriptCreate(w.westApi, 'web', 100);
  await w.reconcile('shop/web');
  const before = w.westApi.requests.length;

  await w.reconcile('shop/web');

  assert.equal(w.westApi.requests.length, before);
});

test('a source change for one key writes only that key', async () => {
  const w = world();
  for (const [name, ip, rv] of [['web', '10.1.0.1', 100], ['api', '10.1.0.2', 200]] as const) {
    putExport(w, name, ip);
    scriptCreate(w.westApi, name, rv);
    await w.reconcile(`shop/${name}`);
  }
  const before = w.westApi.requests.length;
  const [, moved] = exported('web', '10.1.0.9');
  w.put.slice({ ...moved, metadata: { ...moved.metadata, resourceVersion: '2' } });
  const replicaSlice = w.west.slices.indexed('shop/web')[0]!;
  w.westApi.on('PUT', `${SLICES}/${replicaSlice.metadata.name}`, stored('300'));

  await w.reconcile('shop/web');
  await w.reconcile('shop/api');

  const sent = w.westApi.requests.slice(before);
  assert.deepEqual(sent.map((r) => `${r.method} ${r.path}`), [`PUT ${SLICES}/${replicaSlice.metadata.name}`]);
  assert.equal((sent[0]!.body as EndpointSlice).metadata.labels?.[SERVICE_NAME], 'web');
  assert.equal(w.west.slices.indexed('shop/web')[0]?.endpoints?.[0]?.addresses[0], '10.1.0.9');
});

test('a stale (unreachable) source under policy keep writes nothing: its last known state stands', async () => {
  const w = world();
  putExport(w, 'web', '10.1.0.1');
  scriptCreate(w.westApi, 'web', 100);
  await w.reconcile('shop/web');
  const before = w.westApi.requests.length;

  w.stale.add('east');
  await w.reconcile('shop/web');

  assert.equal(w.westApi.requests.length, before);
});

test('the same stale source under policy withdraw does take its replica away (so the test above is not vacuous)', async () => {
  const w = world(config([cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] })], { stalePolicy: 'withdraw' }), cluster('west')]));
  putExport(w, 'web', '10.1.0.1');
  scriptCreate(w.westApi, 'web', 100);
  await w.reconcile('shop/web');
  const before = w.westApi.requests.length;
  const replicaSlice = w.west.slices.indexed('shop/web')[0]!;
  w.westApi.on('DELETE', `${SLICES}/${replicaSlice.metadata.name}`, { value: {} }).on('DELETE', `${SVCS}/web`, { value: {} });

  w.stale.add('east');
  await w.reconcile('shop/web');

  assert.ok(w.westApi.requests.slice(before).every((r) => r.method === 'DELETE'));
  assert.ok(w.westApi.requests.length > before);
  assert.equal(w.west.services.has('shop/web'), false, 'own deletes leave the caches too');
});

test('a write that fails makes reconcile throw, so the queue retries the key', async () => {
  const w = world();
  putExport(w, 'web', '10.1.0.1');
  w.westApi.on('GET', `${SVCS}/web`, apiError(404, 'NotFound')).on('POST', SVCS, apiError(403, 'Forbidden'));

  await assert.rejects(w.reconcile('shop/web'), /reconcile shop\/web: west: .*403/);
  assert.equal(w.west.services.has('shop/web'), false, 'nothing unwritten enters the cache');
});

test('what the last reconcile did in each destination is remembered, with the latency of what it propagated', async () => {
  let clock = 1000;
  const propagation = new PendingPropagations(() => clock);
  const w = world(undefined, propagation);
  putExport(w, 'web', '10.1.0.1');
  w.westApi.on('GET', `${SVCS}/web`, apiError(404, 'NotFound')).on('POST', SVCS, apiError(403, 'Forbidden'));
  propagation.observed('east', [destinationItem('west', 'shop/web')]);
  assert.equal(w.reconciler.lastOutcome('west', 'shop/web'), undefined, 'nothing before the first reconcile');

  await assert.rejects(w.reconcile('shop/web'));
  assert.match(w.reconciler.lastOutcome('west', 'shop/web')?.error ?? '', /403/);
  assert.equal(w.reconciler.lastPropagation('east', 'west', 'shop/web'), undefined, 'a failed write propagated nothing');

  const fixed = new ScriptedApi('west');
  w.writers.set('west', testWriter(fixed));
  scriptCreate(fixed, 'web', 100);
  clock = 1250;
  await w.reconcile('shop/web');
  assert.equal(w.reconciler.lastOutcome('west', 'shop/web')?.ok, true);
  assert.equal(w.reconciler.lastPropagation('east', 'west', 'shop/web')?.seconds, 0.25, 'timed from the first observation, across the retry');
  assert.equal(w.reconciler.lastOutcome('east', 'shop/web'), undefined, 'a cluster the key does not go to keeps no record of it');
});

test('a namespace mcsync created is in the cache at once: the next key needing it does not POST it again', async () => {
  const w = world();
  w.west.namespaces.delete('shop');
  putExport(w, 'web', '10.1.0.1');
  putExport(w, 'db', '10.1.0.2');
  w.westApi.on('POST', '/api/v1/namespaces', stored('90'));
  scriptCreate(w.westApi, 'web', 100);
  scriptCreate(w.westApi, 'db', 200);

  await w.reconcile('shop/web');
  await w.reconcile('shop/db');

  assert.equal(w.westApi.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces').length, 1);
  assert.ok(w.west.namespaces.has('shop'));
});

test('a source without podCIDRs in the config is bounded by what its Nodes declare, as sync bounds it', async () => {
  const w = world();
  const nodes = w.east.nodes;
  assert.ok(nodes, 'east names no podCIDRs: its Nodes are watched');
  const n = upsert(nodes.store, { metadata: { name: 'n1', resourceVersion: '1' }, spec: { podCIDRs: ['10.1.0.0/24'] } });
  nodes.apply(n!);
  const [service] = exported('web', '10.1.0.1');
  w.put.service(service);
  w.put.slice(slice('shop', 'web', 'web-abc', [ep('10.1.0.1'), ep('10.2.0.9')]));
  scriptCreate(w.westApi, 'web', 100);

  await w.reconcile('shop/web');

  assert.deepEqual(w.west.slices.indexed('shop/web').flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)), ['10.1.0.1'], 'the address outside every Node\'s range is not replicated');
});
