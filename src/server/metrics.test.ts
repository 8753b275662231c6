import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerMetrics } from './metrics.ts';

const NAMES = [
  'mcsync_propagation_seconds',
  'mcsync_queue_depth',
  'mcsync_queue_wait_seconds',
  'mcsync_reconcile_seconds',
  'mcsync_reconciles_total',
  'mcsync_writes_total',
  'mcsync_cluster_connected',
  'mcsync_cluster_synced',
  'mcsync_cluster_stale',
  'mcsync_cluster_last_error_timestamp_seconds',
  'mcsync_cluster_last_seen_timestamp_seconds',
  'mcsync_managed_objects',
  'mcsync_watch_restarts_total',
  'mcsync_relists_total',
  'mcsync_leader',
  'mcsync_config_reloads_total',
  'mcsync_companions',
  'mcsync_policy_propagation_seconds',
];

test('every instrument and the default process metrics are registered', async () => {
  const m = new ControllerMetrics();
  const text = await m.text();
  for (const name of NAMES) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  assert.match(text, /^process_cpu_seconds_total /m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  assert.match(m.contentType, /^text\/plain/);
});

test('failure-rate series exist at zero before the first failure', async () => {
  const m = new ControllerMetrics();
  for (const c of ['replicas', 'imports']) m.addCapability(c);
  const text = await m.text();
  // One series per capability the controller runs: its reconciles can be told apart.
  assert.match(text, /^mcsync_reconciles_total\{capability="replicas",result="error"\} 0$/m);
  assert.match(text, /^mcsync_reconciles_total\{capability="imports",result="error"\} 0$/m);
  assert.match(text, /^mcsync_config_reloads_total\{result="rejected"\} 0$/m);
  assert.match(text, /^mcsync_leader 0$/m);
});

test('instruments record with their labels', async () => {
  const m = new ControllerMetrics();
  m.propagation.observe({ source: 'a', destination: 'b' }, 0.003);
  m.writes.inc({ cluster: 'b', verb: 'create', kind: 'EndpointSlice', result: 'done' });
  m.relists.inc({ cluster: 'a', resource: 'endpointslices', reason: 'gone' });
  m.reconcileDuration.observe({ result: 'ok' }, 0.2);
  m.leader.set(1);
  const text = await m.text();
  assert.match(text, /^mcsync_propagation_seconds_bucket\{le="0.005",source="a",destination="b"\} 1$/m);
  assert.match(text, /^mcsync_propagation_seconds_bucket\{le="0.0025",source="a",destination="b"\} 0$/m);
  assert.match(text, /^mcsync_propagation_seconds_bucket\{le="60",source="a",destination="b"\} 1$/m);
  assert.match(text, /^mcsync_writes_total\{cluster="b",verb="create",kind="EndpointSlice",result="done"\} 1$/m);
  assert.match(text, /^mcsync_relists_total\{cluster="a",resource="endpointslices",reason="gone"\} 1$/m);
  assert.match(text, /^mcsync_reconcile_seconds_count\{result="ok"\} 1$/m);
  assert.match(text, /^mcsync_leader 1$/m);
});

test('two instances do not clash or share values', async () => {
  const a = new ControllerMetrics();
  const b = new ControllerMetrics();
  a.writes.inc({ cluster: 'x', verb: 'delete', kind: 'Service', result: 'failed' }, 3);
  a.queueDepth.set(7);
  const [ta, tb] = await Promise.all([a.text(), b.text()]);
  assert.match(ta, /^mcsync_writes_total\{cluster="x",verb="delete",kind="Service",result="failed"\} 3$/m);
  assert.match(ta, /^mcsync_queue_depth 7$/m);
  assert.doesNotMatch(tb, /cluster="x"/);
  assert.match(tb, /^mcsync_queue_depth 0$/m);
  assert.match(tb, /^process_cpu_seconds_total /m);
});

test('addCluster creates per-cluster series; removeCluster drops every series of it', async () => {
  const m = new ControllerMetrics();
  m.addCluster('gone');
  m.addCluster('kept');
  assert.match(await m.text(), /^mcsync_cluster_connected\{cluster="gone"\} 0$/m);

  m.clusterStale.set({ cluster: 'gone' }, 1);
  m.clusterLastSeen.set({ cluster: 'gone' }, 1700000000);
  m.managedObjects.set({ cluster: 'gone', kind: 'Service' }, 4);
  m.writes.inc({ cluster: 'gone', verb: 'update', kind: 'Service', result: 'done' });
  m.watchRestarts.inc({ cluster: 'gone', resource: 'services' });
  m.relists.inc({ cluster: 'gone', resource: 'services', reason: 'initial' });
  m.propagation.observe({ source: 'gone', destination: 'kept' }, 0.1);
  m.propagation.observe({ source: 'kept', destination: 'gone' }, 0.1);
  m.propagation.observe({ source: 'kept', destination: 'kept' }, 0.1);
  m.writes.inc({ cluster: 'kept', verb: 'update', kind: 'Service', result: 'done' });
  m.addPolicyCluster('gone', ['kept']);
  m.addPolicyCluster('kept', ['gone']);
  m.policyPropagation.observe({ source: 'gone', destination: 'kept' }, 0.1);

  await m.removeCluster('gone');
  const text = await m.text();
  assert.doesNotMatch(text, /"gone"/);
  assert.match(text, /^mcsync_cluster_connected\{cluster="kept"\} 0$/m);
  assert.match(text, /^mcsync_writes_total\{cluster="kept",verb="update",kind="Service",result="done"\} 1$/m);
  assert.match(text, /^mcsync_propagation_seconds_count\{source="kept",destination="kept"\} 1$/m);
});

test('a cluster rendering companions has its companion series from the start, at zero, per remote', async () => {
  const m = new ControllerMetrics();
  m.addPolicyCluster('x', ['y', 'z']);
  const text = await m.text();
  assert.match(text, /^mcsync_companions\{cluster="x"\} 0$/m);
  assert.match(text, /^mcsync_policy_propagation_seconds_count\{source="y",destination="x"\} 0$/m);
  assert.match(text, /^mcsync_policy_propagation_seconds_count\{source="z",destination="x"\} 0$/m);
  assert.doesNotMatch(text, /destination="y"/);

  m.policyPropagation.observe({ source: 'y', destination: 'x' }, 0.02);
  assert.match(await m.text(), /^mcsync_policy_propagation_seconds_bucket\{le="0.025",source="y",destination="x"\} 1$/m);
});
