// The upstream Multi-Cluster Services conformance suite (sigs.k8s.io/mcs-api conformance/, built
// by harness/src/conformance/build.ts) against two harness clusters that run pods (kube-scheduler +
// kwok) and serve the MCS CRDs, with `mcsync run` configured with `mcs: true` between them.
//
// Specs that exec into pods are left out: harness pods are kwok's, there is no container to exec
// into. They are the ones labelled DNS or Connectivity, and "Connectivity to a service that is
// not exported should be inaccessible", which execs too but is labelled only Required (run with
// no exec available it would pass without testing anything). Every other spec must pass.
//
// The table of results goes to scratch/mcs-conformance.md (git-ignored: a test run leaves the
// tree as it found it), or to MCSYNC_MCS_CONFORMANCE_REPORT; the test prints where. The committed
// copy, bench/results/mcs-conformance.md, is rewritten only on purpose: `npm run conformance`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { cmp } from '../../src/model/canonical.ts';
import { ensureConformanceBinary } from '../../harness/src/conformance/build.ts';
import { runConformance, type RunResult } from '../../harness/src/conformance/run.ts';
import { renderTable } from '../../harness/src/conformance/table.ts';

const NAMES = ['a', 'b'];
const LABEL_FILTER = '!DNS && !Connectivity';
const SKIP = 'Connectivity to a service that is not exported';

/** The specs left after the filters, each of which must pass (text as the suite words it, without labels). */
const EXPECTED_PASSING = [
  'A ServiceImport should only exist as long as there\'s at least one exporting cluster',
  'Only labels and annotations specified as exported in the ServiceExport should be propagated to the ServiceImport',
  'A service exported on two clusters with conflicting annotations and labels should apply the conflict resolution policy and report a Conflict condition on each ServiceExport',
  'Exporting a ClusterIP service should create a ServiceImport of type ClusterSetIP in the service\'s namespace in each cluster. Unexporting should delete the ServiceImport',
  'The SessionAffinity for a ClusterSetIP ServiceImport should match the exported service\'s SessionAffinity',
  'The InternalTrafficPolicy for a ClusterSetIP ServiceImport should match the exported service\'s InternalTrafficPolicy',
  'The TrafficDistribution for a ClusterSetIP ServiceImport should match the exported service\'s TrafficDistribution',
  'An IP should be allocated for a ClusterSetIP ServiceImport for each IP family',
  'The ports for a ClusterSetIP ServiceImport should match those of the exported service',
  'A ClusterIP service exported on two clusters should expose the union of the constituent service ports and raise a conflict',
  'A ClusterIP service exported on two clusters with conflicting ports should apply the conflict resolution policy and report a Conflict condition on each ServiceExport',
  'Exporting a headless service should create a ServiceImport of type Headless in the service\'s namespace in each cluster. Unexporting should delete the ServiceImport',
  'No clusterset IP should be allocated for a Headless ServiceImport',
  'Exporting an ExternalName service should set ServiceExport Valid condition to False',
  'A service exported on two clusters with conflicting headlessness should apply the conflict resolution policy and report a Conflict condition on the ServiceExport',
  'Exporting a service should create an MCS EndpointSlice in the service\'s namespace in each cluster with the required MCS labels. Unexporting should delete the EndpointSlice.',
];

const reportPath = resolve(process.env.MCSYNC_MCS_CONFORMANCE_REPORT
  || join(dirname(fileURLToPath(import.meta.url)), '../../scratch/mcs-conformance.md'));

function configText(set: ClusterSet): string {
  return [
    'instance: mcs-conformance',
    // Exports come from ServiceExport objects, imports are ServiceImports (KEP-1645).
    'mcs: true',
    'controller:',
    '  watchTimeout: 2s',
    '  resyncInterval: 20s',
    'clusters:',
    ...NAMES.flatMap((n) => [`- name: ${yamlString(n)}`, `  kubeconfig: ${yamlString(set.get(n).kubeconfigPath)}`]),
  ].join('\n') + '\n';
}

describe('the MCS conformance suite passes against mcsync run with mcs: true', () => {
  let set: ClusterSet;
  let ctl: RunningController | undefined;
  let result: RunResult;

  before(async () => {
    const binary = await ensureConformanceBinary({ onProgress: (l) => process.stderr.write(`${l}\n`) });
    set = await startClusterSet({ names: NAMES, pods: true, mcsCrds: true });
    ctl = await startController(['--config', writeConfig(configText(set))]);
    await ctl.ready();
    result = await runConformance({
      binary, clusters: set.clusters, workDir: scratchDir('mcs-conformance-'), labelFilter: LABEL_FILTER, skip: SKIP,
    });
    mkdirSync(dirname(reportPath), { recursive: true });
    writeFileSync(reportPath, renderTable(result.specs, {
      title: 'MCS conformance (sigs.k8s.io/mcs-api conformance v0.5.0) against mcsync run, mcs: true',
      notes: [
        `clusters: ${NAMES.join(', ')} (harness, pods by kube-scheduler + kwok); exporting cluster: ${NAMES[0]}`,
        `filters: --ginkgo.label-filter='${LABEL_FILTER}' --ginkgo.skip='${SKIP}' (those specs exec into pods)`,
        `suite run: ${result.seconds.toFixed(0)} s, exit ${result.exitCode}`,
      ],
    }));
  });

  after(async () => {
    if (ctl) await ctl.stop('SIGTERM');
    await set?.down();
  });

  test('the suite set up: both clusters reachable, the MCS API installed', (t) => {
    t.diagnostic(`results table: ${reportPath}`);
    const failedSetup = result.suiteNodes.filter((n) => n.result === 'fail');
    assert.deepEqual(failedSetup.map((n) => `${n.name}: ${n.reason}`), []);
  });

  test('exactly the expected specs ran: none of the exec-based ones, none unknown', () => {
    const ran = result.specs.filter((s) => s.result !== 'skipped').map((s) => s.name);
    assert.deepEqual([...ran].sort(cmp), [...EXPECTED_PASSING].sort(cmp));
  });

  for (const spec of EXPECTED_PASSING) {
    test(spec, () => {
      const row = result.specs.find((s) => s.name === spec);
      assert.ok(row, 'the suite has this spec');
      assert.equal(row.result, 'pass', row.reason);
    });
  }
});
