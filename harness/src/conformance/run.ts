// Runs the upstream MCS conformance binary (build.ts) against clusters: their kubeconfigs merged
// into one file whose contexts (and clusters and users) are named after the clusters, so the
// suite's report names them as the harness does; the first cluster is the exporting one. The
// JUnit report Ginkgo writes is read back into one row per spec (junit.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { HarnessError } from '../util/errors.ts';
import { parseJunit, type JunitReport } from './junit.ts';

interface NamedEntry { name: string; [k: string]: unknown }
interface Kubeconfig {
  clusters?: NamedEntry[];
  users?: NamedEntry[];
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context'?: string;
}

/**
 * One kubeconfig holding each cluster's current context under the cluster's name. It is written
 * as JSON (a kubeconfig may be JSON): every string quoted, so no YAML reader takes a cluster
 * named `y` or `1e3` for anything but a string.
 */
export function mergedKubeconfigText(clusters: { name: string; kubeconfigPath: string }[]): string {
  const merged = { apiVersion: 'v1', kind: 'Config', clusters: [] as NamedEntry[], users: [] as NamedEntry[], contexts: [] as unknown[], 'current-context': clusters[0]?.name ?? '' };
  for (const c of clusters) {
    const kc = parse(readFileSync(c.kubeconfigPath, 'utf8')) as Kubeconfig;
    const contextName = kc['current-context'] ?? kc.contexts?.[0]?.name;
    const ctx = kc.contexts?.find((x) => x.name === contextName);
    if (!ctx) throw new HarnessError(`${c.kubeconfigPath} has no current context`);
    const cluster = kc.clusters?.find((x) => x.name === ctx.context.cluster);
    const user = kc.users?.find((x) => x.name === ctx.context.user);
    if (!cluster || !user) throw new HarnessError(`${c.kubeconfigPath}: context ${ctx.name} names a cluster or user it does not hold`);
    merged.clusters.push({ ...cluster, name: c.name });
    merged.users.push({ ...user, name: c.name });
    merged.contexts.push({ name: c.name, context: { ...ctx.context, cluster: c.name, user: c.name } });
  }
  return `${JSON.stringify(merged, null, 2)}\n`;
}

export interface RunOptions {
  binary: string;
  clusters: { name: string; kubeconfigPath: string }[];
  /** Where the merged kubeconfig, the JUnit report, the suite's own reports and its output go. */
  workDir: string;
  /** Ginkgo label filter, e.g. `!DNS && !Connectivity`. */
  labelFilter?: string;
  /** Specs to skip by a regular expression over their text (e.g. ones that exec but carry no label saying so). */
  skip?: string;
  /** Only the specs whose text matches. */
  focus?: string;
  dryRun?: boolean;
  extraArgs?: string[];
  /** Each chunk of the suite's output as it comes (it prints progress with --ginkgo.v). */
  onOutput?: (chunk: string) => void;
}

export interface RunResult extends JunitReport {
  exitCode: number | null;
  seconds: number;
  junitPath: string;
  outputPath: string;
}

export function conformanceArgs(o: Pick<RunOptions, 'clusters' | 'labelFilter' | 'skip' | 'focus' | 'dryRun' | 'extraArgs'>, kubeconfig: string, junitPath: string): string[] {
  return [
    '-kubeconfig', kubeconfig,
    '-contexts', o.clusters.map((c) => c.name).join(','),
    `--ginkgo.junit-report=${junitPath}`,
    '--ginkgo.v',
    '--ginkgo.no-color',
    ...(o.labelFilter ? [`--ginkgo.label-filter=${o.labelFilter}`] : []),
    ...(o.skip ? [`--ginkgo.skip=${o.skip}`] : []),
    ...(o.focus ? [`--ginkgo.focus=${o.focus}`] : []),
    ...(o.dryRun ? ['--ginkgo.dry-run'] : []),
    ...(o.extraArgs ?? []),
  ];
}

/** Runs the suite to its end (failing specs are results, not errors) and reads its JUnit report. */
export async function runConformance(o: RunOptions): Promise<RunResult> {
  mkdirSync(o.workDir, { recursive: true });
  const kubeconfig = join(o.workDir, 'merged.kubeconfig');
  writeFileSync(kubeconfig, mergedKubeconfigText(o.clusters), { mode: 0o600 });
  const junitPath = join(o.workDir, 'junit.xml');
  return runBinary(o.binary, conformanceArgs(o, kubeconfig, junitPath), o.workDir, junitPath, o.onOutput);
}

/** Every spec of the suite with its labels, from a dry run: no cluster is contacted. */
export async function listSpecs(binary: string, workDir: string): Promise<RunResult> {
  mkdirSync(workDir, { recursive: true });
  const junitPath = join(workDir, 'dry-run.junit.xml');
  return runBinary(binary, [`--ginkgo.junit-report=${junitPath}`, '--ginkgo.dry-run', '--ginkgo.v', '--ginkgo.no-color'], workDir, junitPath);
}

async function runBinary(binary: string, args: string[], workDir: string, junitPath: string, onOutput?: (chunk: string) => void): Promise<RunResult> {
  const outputPath = `${junitPath.replace(/\.xml$/, '')}.output.txt`;
  const started = Date.now();
  let output = '';
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    // The suite writes its own reports into its working directory.
    const child = spawn(binary, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (d: Buffer) => {
      output += d.toString();
      onOutput?.(d.toString());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  writeFileSync(outputPath, output);
  let xml: string;
  try {
    xml = readFileSync(junitPath, 'utf8');
  } catch {
    throw new HarnessError(`the conformance suite wrote no JUnit report (exit ${exitCode}); its output is in ${outputPath}:\n${output.trimEnd().split('\n').slice(-20).join('\n')}`);
  }
  return { ...parseJunit(xml), exitCode, seconds: (Date.now() - started) / 1000, junitPath, outputPath };
}
