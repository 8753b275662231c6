// What the MCS reconciler remembers of how each reconcile ended (the status page's failing and
// pending), against in-memory caches and a scripted API: one cluster that exports and imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, config, svc } from '../../model/fixtures.test-util.ts';
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
