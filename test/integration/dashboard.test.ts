// The Grafana dashboard (deploy/grafana/mcsync.json) against what mcsync really serves: every
// query, panel and variable alike, reads only metrics and labels that a running `mcsync run`
// exposes on /metrics, parses as PromQL by Prometheus's own parser, and every mcsync metric has
// a panel. So a renamed metric or label fails here, not on someone's wall screen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { apis, applyManifests, replicasAre, serviceWithPod } from '../support/kube.ts';
import { queriesOf, structuralProblems, type Dashboard } from '../support/grafana-dashboard.ts';
import { parseExposition, unexposed, type Exposition } from '../support/exposition.ts';
import { analyse } from '../support/promql.ts';
import { checkExpressions } from '../support/promtool.ts';
import { CONFIGMAP_YAML, DASHBOARD_JSON } from '../../deploy/grafana/configmap.ts';

const dashboard = JSON.parse(readFileSync(DASHBOARD_JSON, 'utf8')) as Dashboard;
const queries = queriesOf(dashboard);

test('the dashboard is structurally sound: unique ids, 24-column grid, every panel on the datasource variable', () => {
  assert.deepEqual(structuralProblems(dashboard, ['datasource', 'job', 'instance', 'cluster']), []);
  assert.ok(queries.length >= 30, `${queries.length} queries`);
});

test("every query parses and type-checks with Prometheus's parser (promtool check rules)", () => {
  const r = checkExpressions(queries.map((q) => q.expr));
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
});

describe('against the /metrics of a running mcsync', () => {
  let set: ClusterSet;
  let ctl: RunningController;
  let exposed: Exposition;
  const ns = 'dash';

  before(async () => {
    set = await startClusterSet({ names: ['a', 'b'] });
    const podsA = new Pods(set.get('a'));
    const ip = await serviceWithPod(podsA, ns, 'web');
    const config = [
      'instance: dash',
      // On, so the companion series (created at zero) are on /metrics for the policy panels.
      'networkPolicies: true',
      'controller:',
      '  watchTimeout: 2s',
      'clusters:',
      `- name: a`,
      `  kubeconfig: ${yamlString(set.get('a').kubeconfigPath)}`,
      '  services:',
      `  - namespace: ${ns}`,
      // Tiers, so the locality series are there (b's Nodes have no zone: inactive, counted as such).
      '    clusterSelectors: [{propertySelector: {matchExpressions: [{key: cluster.clusterset.k8s.io, operator: Exists}]}}]',
      `- name: b`,
      `  kubeconfig: ${yamlString(set.get('b').kubeconfigPath)}`,
    ].join('\n') + '\n';
    ctl = await startController(['--config', writeConfig(config)]);
    await ctl.ready();
    const B = apis(set.get('b'));
    await replicasAre(B, ns, 'web', { [ip]: true }, 'web in b');
    // A change after the initial lists, so the propagation histogram has a sample.
    await podsA.setReady(ns, 'web-0', false);
    await replicasAre(B, ns, 'web', { [ip]: false }, 'readiness in b');
    // A short outage of b's apiserver, so the series that only exist after a failed watch do.
    const b = set.running[1]!;
    await b.stopApiserver();
    await waitFor(async () => /^mcsync_watch_restarts_total\{cluster="b"/m.test((await ctl.get('/metrics')).text), { what: 'a watch of b to fail' });
    await b.startApiserver();
    await waitFor(async () => (await ctl.status()).clusters.every((c) => c.connected && c.synced), { what: 'b connected again' });
    exposed = parseExposition((await ctl.get('/metrics')).text);
  });

  after(async () => {
    await ctl?.stop();
    await set?.down();
  });

  test('every metric and label name the queries use is on /metrics', () => {
    const problems = queries.flatMap((q) => unexposed(q.expr, exposed).map((p) => `${q.where}: ${p}\n    ${q.raw}`));
    assert.deepEqual(problems, []);
  });

  test('every mcsync metric is on the dashboard', () => {
    const family = (series: string) => series.replace(/_(bucket|sum|count)$/, '');
    const shown = new Set(queries.flatMap((q) => analyse(q.expr).selectors.map((s) => family(s.metric))));
    const missing = [...new Set([...exposed.keys()].filter((n) => n.startsWith('mcsync_')).map(family))].filter((f) => !shown.has(f));
    assert.deepEqual(missing, []);
  });

  test("the sidecar ConfigMap is one a real apiserver stores", async () => {
    const [cm] = await applyManifests(set.get('a'), [CONFIGMAP_YAML], (o) => ({ ...o, metadata: { ...o.metadata, namespace: 'default' } }));
    assert.deepEqual(JSON.parse((cm as { data: Record<string, string> }).data['mcsync.json']!), dashboard);
  });
});
