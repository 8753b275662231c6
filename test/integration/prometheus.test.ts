// A real Prometheus scraping a real `mcsync run` on loopback every second and evaluating the
// shipped alert rules: what an operator's Prometheus would see, read back through its HTTP API.
// The rules are loaded twice: rules.yaml exactly as shipped, and a copy whose for: durations are
// 1 s (labelled rules="fast"), so an alert can be seen firing within the test, not only pending.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { startPrometheus, type Alert, type RunningPrometheus } from '../../harness/src/observe/prometheus.ts';
import { apis, replicasAre, serviceWithPod } from '../support/kube.ts';

const shippedRules = fileURLToPath(new URL('../../deploy/prometheus/rules.yaml', import.meta.url));
const ns = 'prom';

let set: ClusterSet;
let ctl: RunningController;
let prom: RunningPrometheus;
let podsA: Pods;
let firstIp: string;

/** rules.yaml with every for: at 1 s, its group renamed and its alerts labelled rules="fast". */
function fastRules(): string {
  const doc = parse(readFileSync(shippedRules, 'utf8')) as { groups: { name: string; rules: { for?: string; labels?: Record<string, string> }[] }[] };
  for (const g of doc.groups) {
    g.name = `${g.name}-fast`;
    for (const r of g.rules) {
      r.for = '1s';
      r.labels = { ...r.labels, rules: 'fast' };
    }
  }
  const path = join(scratchDir('mcsync-rules-'), 'rules-fast.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  podsA = new Pods(set.get('a'));
  firstIp = await serviceWithPod(podsA, ns, 'web');
  const config = [
    'instance: prom',
    'controller:',
    '  watchTimeout: 2s',
    'clusters:',
    '- name: a',
    `  kubeconfig: ${set.get('a').kubeconfigPath}`,
    '  staleAfter: 3s',
    '  services:',
    `  - namespace: ${ns}`,
    '- name: b',
    `  kubeconfig: ${set.get('b').kubeconfigPath}`,
  ].join('\n') + '\n';
  ctl = await startController(['--config', writeConfig(config)]);
  await ctl.ready();
  await replicasAre(apis(set.get('b')), ns, 'web', { [firstIp]: true }, 'web replicated to b');
  prom = await startPrometheus({ targets: [`127.0.0.1:${ctl.port}`], ruleFiles: [shippedRules, fastRules()] });
  await waitFor(async () => (await prom.valueOf('up{job="mcsync"}')) === 1, { what: 'prometheus to scrape mcsync' }).catch(async (err: Error) => {
    throw new Error(`${err.message}; targets: ${JSON.stringify(await prom.targets().catch(() => []))}`);
  });
});

// Each step on its own, so a failure in one still stops the rest.
after(async () => {
  await prom?.stop();
  await ctl?.stop();
  await set?.down();
});

test('after a pod change in a, the propagation histogram has samples in Prometheus and its p99 is a number', async (t) => {
  const B = apis(set.get('b'));
  const count = () => prom.valueOf('sum(mcsync_propagation_seconds_count{source="a",destination="b"})');
  const secondIp = (await podsA.create({ namespace: ns, name: 'web-1', labels: { app: 'web' } })).status!.podIP!;
  await replicasAre(B, ns, 'web', { [firstIp]: true, [secondIp]: true }, 'the new pod in b');
  const first = await waitFor(async () => { const n = await count(); return n !== undefined && n > 0 && n; }, { what: 'propagation samples in prometheus' });
  // rate() needs the counters to grow between two scrapes, so a second change after the first is in.
  await podsA.setReady(ns, 'web-1', false);
  await replicasAre(B, ns, 'web', { [firstIp]: true, [secondIp]: false }, 'the pod not ready in b');
  await waitFor(async () => ((await count()) ?? 0) > first, { what: 'the second propagation in prometheus' });
  const p99 = await waitFor(async () => {
    const v = await prom.valueOf('histogram_quantile(0.99, sum by (le) (rate(mcsync_propagation_seconds_bucket{source="a",destination="b"}[1m])))');
    return v !== undefined && Number.isFinite(v) && v;
  }, { what: 'a p99 that is a number' });
  assert.ok(p99 > 0 && p99 <= 60, `p99 ${p99} s lies inside the histogram's buckets`);
  t.diagnostic(`propagation a -> b p99 by Prometheus: ${p99.toFixed(4)} s`);
});

test('while a\'s apiserver is down, Prometheus sees a disconnected and then stale, b connected, and the stale alert goes off', async () => {
  const a = set.running.find((c) => c.name === 'a')!;
  const stale = (alerts: Alert[], rules?: string) => alerts.find((x) => x.labels.alertname === 'McsyncSourceStale' && x.labels.rules === rules);
  await a.stop();
  try {
    await waitFor(async () => (await prom.valueOf('mcsync_cluster_connected', { cluster: 'a' })) === 0, { what: 'a disconnected in prometheus' });
    assert.equal(await prom.valueOf('mcsync_cluster_connected', { cluster: 'b' }), 1, 'b stays connected');
    await waitFor(async () => (await prom.valueOf('mcsync_cluster_stale', { cluster: 'a' })) === 1, { what: 'a stale in prometheus (staleAfter 3s)' });
    assert.equal(await prom.valueOf('mcsync_cluster_stale', { cluster: 'b' }), 0, 'b is not stale');

    const alerts = await waitFor(async () => {
      const now = await prom.alerts();
      return stale(now)?.state === 'pending' && stale(now, 'fast')?.state === 'firing' && now;
    }, { what: 'McsyncSourceStale pending (shipped for: 2m) and firing (for: 1s)' });
    assert.deepEqual(
      { cluster: stale(alerts)!.labels.cluster, severity: stale(alerts)!.labels.severity, job: stale(alerts)!.labels.job },
      { cluster: 'a', severity: 'critical', job: 'mcsync' },
    );
    assert.match(stale(alerts)!.annotations.summary!, /source cluster a/);
  } finally {
    await a.restart();
  }
  await waitFor(async () => (await prom.valueOf('mcsync_cluster_stale', { cluster: 'a' })) === 0, { what: 'a no longer stale once it is back' });
  await waitFor(async () => { const now = await prom.alerts(); return !stale(now) && !stale(now, 'fast'); }, { what: 'McsyncSourceStale resolved' });
});
