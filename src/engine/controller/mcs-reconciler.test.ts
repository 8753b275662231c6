// What the MCS reconciler remembers of how each reconcile ended (the status page's failing and
// pending), against in-memory caches and a scripted API: one cluster that exports and imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, config, ep, slice, svc } from '../../model/fixtures.test-util.ts';
import type { ApiClient, ApiVerb, RequestOpts } from '../../kube/client.ts';
import { ScriptedApi, stored } from '../../kube/scripted-api.test-util.ts';
import { storeKey } from '../../vocab/keys.ts';
import { MCS_API_VERSION, type ServiceExport } from '../../vocab/mcs.ts';
import { McsReconciler } from './mcs-reconciler.ts';
import { mcsKey, mcsTopology } from './mcs-topology.ts';
import type { ReconcileLog } from './reconciler.ts';
import { testWriters } from './writer.test-util.ts';

const quiet: ReconcileLog = { debug() {}, info() {}, warn() {}, error() {} };
const NOW = new Date('2025-01-01T00:00:00Z');

function world(leader = true) {
  const cfg = config([cluster('a')], { mcs: true });
  const topology = mcsTopology(cfg);
  const api = new ScriptedApi('a');
  topology.destinations.get('a')!.namespaces.set('shop', { metadata: { name: 'shop' } });
  const reconciler = new McsReconciler({
    config: cfg, topology, writers: testWriters([api]), log: quiet,
    isLeader: () => leader, now: () => NOW,
  });
  const a = topology.sources.get('a')!;
  const exportWeb = () => {
    const se: ServiceExport = { apiVersion: MCS_API_VERSION, kind: 'ServiceExport', metadata: { namespace: 'shop', name: 'web', uid: 'se-1', resourceVersion: '1', generation: 1 } };
    a.exports.set(storeKey(se), se);
  };
  return { reconciler, api, a, exportWeb };
}

test('a reconcile whose writes fail is remembered as failing, with why', async () => {
  const w = world();
  w.exportWeb();
  const web = svc('shop', 'web');
  w.a.services.set(storeKey(web), web);

  await assert.rejects(w.reconciler.reconcile(mcsKey('shop', 'web')));

  const outcome = w.reconciler.lastOutcome('shop/web');
  assert.equal(outcome?.ok, false);
  assert.match(outcome!.error!, /unscripted request POST/);
  assert.equal(outcome!.at, NOW.getTime());
});

test('a reconcile that converges is remembered as ok; once nothing is left of the service it is forgotten', async () => {
  const w = world();
  // No Service behind the export: invalid, so only the export's conditions are written.
  w.exportWeb();
  w.api.on('PUT', `/apis/${MCS_API_VERSION}/namespaces/shop/serviceexports/web/status`, stored('2'));

  await w.reconciler.reconcile(mcsKey('shop', 'web'));
  assert.deepEqual(w.reconciler.lastOutcome('shop/web'), { ok: true, at: NOW.getTime() });

  w.a.exports.delete('shop/web');
  await w.reconciler.reconcile(mcsKey('shop', 'web'));
  assert.equal(w.reconciler.lastOutcome('shop/web'), undefined);
  assert.deepEqual(w.reconciler.states(), []);
});

test('a standby remembers no outcome: its services are pending', async () => {
  const w = world(false);
  w.exportWeb();

  await w.reconciler.reconcile(mcsKey('shop', 'web'));

  assert.equal(w.reconciler.lastOutcome('shop/web'), undefined);
});

/** Answers every write as a server would store it (derived Services get a clusterset IP); records what was sent. */
class EchoApi implements ApiClient {
  readonly name: string;
  readonly sent: string[] = [];
  #rv = 100;
  constructor(name: string) {
    this.name = name;
  }
  async request<T>(method: ApiVerb, path: string, opts: RequestOpts = {}): Promise<T> {
    this.sent.push(`${method} ${path}`);
    if (method === 'DELETE') return {} as T;
    const body = structuredClone(opts.body) as { metadata: Record<string, unknown>; kind?: string; spec?: Record<string, unknown> };
    const rv = String(this.#rv++);
    const out = { ...body, metadata: { ...body.metadata, resourceVersion: rv, uid: (body.metadata.uid as string | undefined) ?? `uid-${rv}` } };
    if (body.kind === 'Service' && method === 'POST') out.spec = { ...body.spec, clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'], ipFamilies: ['IPv4'] };
    return out as T;
  }
}

function echoWorld(clusters: string[], leader = () => true) {
  const cfg = config(clusters.map((c) => cluster(c)), { mcs: true });
  const topology = mcsTopology(cfg);
  const apis = clusters.map((c) => new EchoApi(c));
  for (const c of clusters) topology.destinations.get(c)!.namespaces.set('shop', { metadata: { name: 'shop' } });
  const events: string[] = [];
  const reconciler = new McsReconciler({ config: cfg, topology, writers: testWriters(apis), log: quiet, isLeader: leader, now: () => NOW });
  const exportFrom = (c: string, service = svc('shop', 'web'), created = '2024-01-01T00:00:00Z') => {
    const se: ServiceExport = { apiVersion: MCS_API_VERSION, kind: 'ServiceExport', metadata: { namespace: 'shop', name: 'web', uid: `se-${c}`, resourceVersion: '1', generation: 1, creationTimestamp: created } };
    const s = topology.sources.get(c)!;
    s.exports.set(storeKey(se), se);
    s.services.set(storeKey(service), service);
  };
  return { reconciler, topology, apis, events, exportFrom };
}

test('a new import converges in rounds: the derived Service first, then the ServiceImport with its IP; a second reconcile sends nothing', async () => {
  const w = echoWorld(['a']);
  w.exportFrom('a');
  await w.reconciler.reconcile(mcsKey('shop', 'web'));
  const sent = w.apis[0]!.sent;
  const derived = sent.findIndex((r) => r === 'POST /api/v1/namespaces/shop/services');
  const imported = sent.findIndex((r) => r.startsWith(`POST /apis/${MCS_API_VERSION}/namespaces/shop/serviceimports`));
  assert.ok(derived >= 0 && imported > derived, `derived Service, then the import: ${sent.join(', ')}`);
  const si = w.topology.destinations.get('a')!.imports.get('shop/web');
  assert.deepEqual(si?.spec.ips, ['10.96.0.7'], 'the reply of the derived Service was taken in, so the import carries its IP');
  const before = sent.length;
  await w.reconciler.reconcile(mcsKey('shop', 'web'));
  assert.deepEqual(sent.slice(before), [], 'converged: the caches hold every reply');
});

test('a conflict is posted as Events once however often it is reconciled, and never by a standby', async () => {
  let leading = false;
  const w = echoWorld(['a', 'b'], () => leading);
  w.exportFrom('a');
  w.exportFrom('b', svc('shop', 'web', { ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] }), '2024-02-01T00:00:00Z');
  const eventPosts = () => w.apis.flatMap((api) => api.sent.filter((r) => r.endsWith('/events')));
  await w.reconciler.reconcile(mcsKey('shop', 'web'));
  assert.deepEqual(eventPosts(), [], 'a standby does not reconcile, nor post');
  leading = true;
  await w.reconciler.reconcile(mcsKey('shop', 'web'));
  assert.equal(eventPosts().length, 2, 'one Event on each constituent export');
  await w.reconciler.reconcile(mcsKey('shop', 'web'));
  assert.equal(eventPosts().length, 2, 'a standing conflict is not posted again');
});

test('a stale exporter under not-ready stays a constituent, its endpoints marked not ready (the stale rule of every capability)', async () => {
  const cfg = config([cluster('a', [], { stalePolicy: 'not-ready' })], { mcs: true });
  const topology = mcsTopology(cfg);
  topology.destinations.get('a')!.namespaces.set('shop', { metadata: { name: 'shop' } });
  const api = new EchoApi('a');
  const reconciler = new McsReconciler({ config: cfg, topology, writers: testWriters([api]), log: quiet, isStale: () => true, now: () => NOW });
  const s = topology.sources.get('a')!;
  const se: ServiceExport = { apiVersion: MCS_API_VERSION, kind: 'ServiceExport', metadata: { namespace: 'shop', name: 'web', uid: 'se', resourceVersion: '1', generation: 1 } };
  s.exports.set('shop/web', se);
  s.services.set('shop/web', svc('shop', 'web'));
  s.slices.set('shop/web-1', slice('shop', 'web', 'web-1', [ep('10.1.0.5')]));
  await reconciler.reconcile(mcsKey('shop', 'web'));
  const eps = topology.destinations.get('a')!.slices.indexed('shop/web').flatMap((x) => x.endpoints ?? []);
  assert.deepEqual(eps.map((e) => [e.addresses[0], e.conditions?.ready]), [['10.1.0.5', false]]);
});
