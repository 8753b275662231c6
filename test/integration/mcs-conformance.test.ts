// The upstream Multi-Cluster Services conformance suite (sigs.k8s.io/mcs-api conformance/, built
// by test/conformance/build.ts), all 27 specs, nothing filtered or skipped, on the data-plane
// rig: two clusters on a flat routed network, each with real kube-proxy, real CoreDNS serving
// clusterset.local through its `multicluster` option, kube-scheduler, and the harness's pod
// runtime and exec server (harness/src/dataplane/kubelet/), so the suite's `hello` and `request`
// pods run their commands as processes in namespaces of their own and its `kubectl exec`s
// (nslookup, nc) run inside the request pod. `mcsync run` with `mcs: true` connects them.
//
// The suite's tables and its own report (report.yaml, with the implementation's metadata) go to
// a temporary directory, or to MCSYNC_MCS_CONFORMANCE_REPORT_DIR when that asks for a copy (for
// docs/mcs.md); the test prints where. For a failure, MCSYNC_MCS_CONFORMANCE_LOGS names a
// directory to keep the suite's output and the clusters' logs in (pod runtime, pods, CoreDNS,
// kube-proxy), and MCSYNC_MCS_CONFORMANCE_FOCUS runs only the specs it matches (those must pass).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../../harness/src/util/errors.ts';
import { dataPlaneUnsupported } from '../../harness/src/dataplane/command.ts';
import { startDataPlane, type DataPlane } from '../../harness/src/dataplane/dataplane.ts';
import { DEFAULT_PATH, resolveExecutable } from '../../harness/src/dataplane/kubelet/container.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { ensureConformanceBinary } from '../../harness/src/conformance/build.ts';
import { runConformance, type RunResult } from '../../harness/src/conformance/run.ts';
import { renderTable } from '../../harness/src/conformance/table.ts';

const NAMES = ['a', 'b'];
/** Every spec of the suite at v0.5.0 (`--ginkgo.dry-run` lists them). */
const SPEC_COUNT = 27;
/** Commands the suite's pods run, which the pod runtime takes from this machine. */
const POD_COMMANDS = ['sh', 'socat', 'nc', 'nslookup', 'awk', 'grep', 'tr'];

// A machine that cannot build the data plane skips with the reason; in CI it fails, naming it.
const unsupported = dataPlaneUnsupported();
const skip = process.env.CI ? false : unsupported;

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const reportDir = process.env.MCSYNC_MCS_CONFORMANCE_REPORT_DIR ?? scratchDir('mcs-conformance-report-');
const logsDir = process.env.MCSYNC_MCS_CONFORMANCE_LOGS;
const focus = process.env.MCSYNC_MCS_CONFORMANCE_FOCUS;

function configText(dp: DataPlane): string {
  return [
    'instance: mcs-conformance',
    // Exports come from ServiceExport objects, imports are ServiceImports (KEP-1645).
    'mcs: true',
    'controller:',
    '  watchTimeout: 2s',
    '  resyncInterval: 20s',
    'clusters:',
    ...NAMES.flatMap((n) => [`- name: ${yamlString(n)}`, `  kubeconfig: ${yamlString(dp.cluster(n).kubeconfigPath)}`]),
  ].join('\n') + '\n';
}

function missingCommands(): string[] {
  return POD_COMMANDS.filter((c) => {
    try {
      resolveExecutable(c, DEFAULT_PATH, 'check');
      return false;
    } catch {
      return true;
    }
  });
}

interface Family {
  name: string;
  title: string;
  dualStack: boolean;
}

// Which rigs run: both by default; MCSYNC_MCS_CONFORMANCE_FAMILIES=ipv4 (or dual-stack) for one.
const FAMILIES: Family[] = [
  { name: 'ipv4', title: 'IPv4', dualStack: false },
  { name: 'dual-stack', title: 'dual-stack (IPv4 + IPv6)', dualStack: true },
].filter((f) => !process.env.MCSYNC_MCS_CONFORMANCE_FAMILIES || process.env.MCSYNC_MCS_CONFORMANCE_FAMILIES.split(',').includes(f.name));

for (const family of FAMILIES) {
  describe(`the MCS conformance suite passes all ${SPEC_COUNT} specs on the data plane (${family.title})`, { skip }, () => {
    let dp: DataPlane | undefined;
    let ctl: RunningController | undefined;
    let result: RunResult;
    const timings: string[] = [];

    before(async () => {
      if (unsupported) throw new HarnessError(`the data plane cannot be built here: ${unsupported}`);
      const missing = missingCommands();
      if (missing.length) throw new HarnessError(`the suite's pods run ${missing.join(', ')} from this machine, which lacks them: run scripts/setup.sh (socat, netcat-openbsd, bind9-dnsutils)`);
      const binary = await ensureConformanceBinary({ onProgress: (l) => process.stderr.write(`${l}\n`) });
      const started = Date.now();
      dp = await startDataPlane({
        names: NAMES, proxyMode: 'nftables', mcs: true, pods: true, dualStack: family.dualStack,
        onProgress: (l) => process.stderr.write(`${l}\n`),
      });
      ctl = await startController(['--config', writeConfig(configText(dp))]);
      await ctl.ready();
      timings.push(`rig up: ${((Date.now() - started) / 1000).toFixed(0)} s`);
      const workDir = scratchDir(`mcs-conformance-${family.name}-`);
      result = await runConformance({
        binary, clusters: dp.set.clusters, workDir, focus,
        extraArgs: ['--organization=mcsync maintainers', '--project=mcsync', `--version=${version}`, '--url=docs/mcs.md'],
        onOutput: process.env.MCSYNC_CONFORMANCE_VERBOSE ? (c) => process.stderr.write(c) : undefined,
      });
      timings.push(`suite run: ${result.seconds.toFixed(0)} s, exit ${result.exitCode}`);
      mkdirSync(reportDir, { recursive: true });
      writeFileSync(join(reportDir, `mcs-conformance-${family.name}.md`), renderTable(result.specs, {
        title: `MCS conformance (sigs.k8s.io/mcs-api conformance v0.5.0) against mcsync run, mcs: true, ${family.title}`,
        notes: [
          `clusters: ${NAMES.join(', ')} on the data-plane rig (kube-proxy nftables, CoreDNS with multicluster, the harness pod runtime); exporting cluster: ${NAMES[0]}`,
          'filters: none (every spec selected)',
          ...timings,
        ],
      }));
      copyFileSync(join(workDir, 'report.yaml'), join(reportDir, `mcs-conformance-${family.name}.report.yaml`));
    });

    after(async () => {
      if (logsDir && dp) {
        const to = join(logsDir, family.name);
        for (const n of NAMES) cpSync(join(dp.cluster(n).dir, 'logs'), join(to, n), { recursive: true });
        if (result) copyFileSync(result.outputPath, join(to, 'suite-output.txt'));
      }
      if (ctl) await ctl.stop('SIGTERM');
      await dp?.down();
    });

    test('the suite set up: both clusters reachable, the MCS API installed', (t) => {
      t.diagnostic(`results: ${reportDir} (${timings.join('; ')}); suite output: ${result.outputPath}`);
      const failedSetup = result.suiteNodes.filter((n) => n.result === 'fail');
      assert.deepEqual(failedSetup.map((n) => `${n.name}: ${n.reason}`), []);
    });

    test(`all ${SPEC_COUNT} specs ran, none skipped, and every one passed`, () => {
      if (focus) assert.ok(result.specs.some((s) => s.result === 'pass'), `some spec matches ${focus}`);
      else assert.equal(result.specs.length, SPEC_COUNT);
      const considered = focus ? result.specs.filter((s) => s.result !== 'skipped') : result.specs;
      const notPassed = considered.filter((s) => s.result !== 'pass').map((s) => `${s.name}: ${s.result} ${s.reason}`);
      assert.deepEqual(notPassed, []);
      assert.equal(result.exitCode, 0);
    });
  });
}
