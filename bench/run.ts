// `npm run bench -- [options]`: brings up harness clusters (or uses MCSYNC_TEST_KUBECONFIGS),
// builds a workload in the first cluster, and measures mcsync replicating it to the others —
// initial sync (sync and run), propagation latency under churn, write amplification, cost, the
// kubectl-per-object baseline and, with --scaling, how cost grows. Prints one JSON document and
// a short table, and writes bench/results/<name>.json. Nothing here passes or fails.
import { yamlString } from '../harness/src/util/yaml-text.ts';
import { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensureComponents, CONTROL_PLANE } from '../harness/src/controlplane/components.ts';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import type { ClusterInfo } from '../harness/src/controlplane/cluster.ts';
import { runMcsync, writeConfig } from '../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../harness/src/mcsync/controller.ts';
import { waitFor } from '../harness/src/util/wait.ts';
import { KubeClient } from '../src/kube/client.ts';
import { kubectlPerObject, round } from './lib/compare/baseline.ts';
import { churn } from './lib/workload/churn.ts';
import { namespacedWatches, percentile, processCost, writes } from './lib/measure/measure.ts';
import { createWorkload, deleteNamespace } from './lib/workload/workload.ts';
import { delta, quiet } from './lib/measure/settle.ts';

interface Options {
  clusters: number;
  services: number;
  endpoints: number;
  churnRate: number;
  churnSeconds: number;
  topology: 'push' | 'pull';
  baselineServices: number;
  scaling?: string;
  writeQps: number;
  controllerNodeOptions?: string;
  name: string;
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const NS = 'bench';
const INSTANCE = 'bench';

function configFor(clusters: ClusterInfo[], o: Options, resync = '10m'): string {
  const [source, ...rest] = clusters;
  return writeConfig([
    `instance: ${INSTANCE}`,
    'concurrency: 16',
    'controller:',
    `  writeQps: ${o.writeQps}`,
    `  writeBurst: ${o.writeQps}`,
    `  resyncInterval: ${resync}`,
    'clusters:',
    `- name: ${yamlString(source!.name)}`,
    `  kubeconfig: ${yamlString(source!.kubeconfigPath)}`,
    '  services:',
    `  - namespace: ${NS}`,
    ...rest.flatMap((c) => [`- name: ${yamlString(c.name)}`, `  kubeconfig: ${yamlString(c.kubeconfigPath)}`]),
  ].join('\n') + '\n');
}


async function metricValue(ctl: RunningController, name: string, labels = ''): Promise<number> {
  const text = (await ctl.get('/metrics')).text;
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' ') && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** Starts the controller(s) and returns once every destination holds what `sync` made there. */
async function startRun(o: Options, cfg: string, dests: ClusterInfo[], expectedObjects: number[]): Promise<{ controllers: RunningController[]; seconds: number }> {
  const started = performance.now();
  const args = ['--config', cfg, '--log-level', 'info'];
  const controllers = o.topology === 'push'
    ? [await startController(args)]
    : await Promise.all(dests.map((d) => startController([...args, '--local-cluster', d.name])));
  await waitFor(async () => {
    const counts = await Promise.all(dests.map(async (d, i) => {
      const ctl = o.topology === 'push' ? controllers[0]! : controllers[i]!;
      return metricValue(ctl, 'mcsync_managed_objects', `cluster="${d.name}"`);
    }));
    return counts.every((n, i) => n >= expectedObjects[i]!);
  }, { what: 'mcsync run to hold every replica', intervalMs: 100, timeoutMs: 900_000 });
  return { controllers, seconds: (performance.now() - started) / 1000 };
}

async function ownedObjects(dests: ClusterInfo[]): Promise<number[]> {
  const sel = `mcsync.io/instance=${INSTANCE}`;
  return Promise.all(dests.map(async (d) => {
    const client = KubeClient.fromFile(d.name, d.kubeconfigPath);
    try {
      const [s, e] = await Promise.all([client.list(`/api/v1/namespaces/${NS}/services`, { labelSelector: sel }), client.list(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, { labelSelector: sel })]);
      return s.items.length + e.items.length;
    } finally {
      client.close();
    }
  }));
}

async function main(o: Options): Promise<void> {
  // Measure the product as installed: the compiled CLI, not the TypeScript sources.
  const entry = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  process.env.MCSYNC_ENTRY = entry;
  if (o.controllerNodeOptions) process.env.MCSYNC_NODE_OPTIONS = o.controllerNodeOptions;
  const names = Array.from({ length: o.clusters }, (_, i) => String.fromCharCode(97 + i));
  await ensureComponents(CONTROL_PLANE, { onProgress: say });
  say(`starting ${o.clusters} clusters`);
  const set = await startClusterSet({ names });
  const result: Record<string, unknown> = {
    name: o.name,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    parameters: o,
  };
  try {
    const [source, ...dests] = set.clusters;
    say(`workload: ${o.services} services x ${o.endpoints} endpoints in ${source!.name}/${NS}`);
    const wl = await createWorkload(source!, NS, o.services, o.endpoints, say);
    result.workload = { services: o.services, endpoints: o.services * o.endpoints, createSeconds: round(wl.createSeconds) };
    const cfg = configFor(set.clusters, o);

    if (o.baselineServices > 0) {
      say(`baseline: kubectl per object for ${o.baselineServices} services into ${dests[0]!.name}`);
      const { kubectl } = await ensureComponents(['kubectl']);
      result.baseline = await kubectlPerObject(kubectl, source!.kubeconfigPath, dests[0]!.kubeconfigPath, NS, wl.services.slice(0, o.baselineServices));
      await quiet(dests);
    }

    say('mcsync sync: initial');
    const w0 = await quiet(dests);
    const t0 = performance.now();
    const first = await runMcsync(['sync', '--config', cfg, '-o', 'json']);
    const syncSeconds = (performance.now() - t0) / 1000;
    if (first.code !== 0) throw new Error(`mcsync sync failed: ${first.stderr}`);
    const w1 = await quiet(dests);
    const objects = await ownedObjects(dests);
    say('mcsync sync: second run, nothing changed');
    await runMcsync(['sync', '--config', cfg, '-o', 'json']);
    const w2 = await quiet(dests);
    const written = delta(w0, w1).reduce((s, x) => s + x, 0);
    result.sync = {
      seconds: round(syncSeconds),
      writes: delta(w0, w1),
      objectsPerSecond: round(written / syncSeconds, 1),
      secondRunWrites: delta(w1, w2),
    };
    if (o.baselineServices > 0) {
      const b = result.baseline as { secondsPerObject: number };
      (result.baseline as Record<string, unknown>).ratioToMcsyncPerObject = round(b.secondsPerObject / (syncSeconds / written), 1);
    }

    say('prune, then mcsync run from scratch');
    await runMcsync(['prune', '--config', cfg]);
    await quiet(dests);
    const watchesBefore = await namespacedWatches(source!);
    const { controllers, seconds: runSeconds } = await startRun(o, cfg, dests, objects);
    const watchesDuring = await namespacedWatches(source!);
    result.run = { secondsToAllReplicas: round(runSeconds), objectsPerSecond: round(objects.reduce((s, x) => s + x, 0) / runSeconds, 1), watchesOnSource: watchesDuring - watchesBefore };

    say(`churn: ${o.churnRate} readiness flips/s for ${o.churnSeconds}s`);
    const c0 = await quiet(dests);
    const ch = await churn(source!, dests, NS, INSTANCE, wl.pods, o.churnRate, o.churnSeconds);
    const c1 = await quiet(dests);
    const dist = (xs: number[]) => ({ n: xs.length, p50: round(percentile(xs, 50), 1), p90: round(percentile(xs, 90), 1), p99: round(percentile(xs, 99), 1), max: round(xs.at(-1) ?? NaN, 1) });
    result.churn = {
      flips: ch.flips, seconds: ch.seconds, achievedRate: ch.achievedRate, missed: ch.missed,
      latencyMs: Object.fromEntries(Object.entries(ch.latenciesMs).map(([d, xs]) => [d, dist(xs)])),
      mcsyncLatencyMs: Object.fromEntries(Object.entries(ch.mcsyncLatenciesMs).map(([d, xs]) => [d, dist(xs)])),
      sourceControllerLatencyMs: dist(ch.sourceLatenciesMs),
      sourceSliceUpdates: ch.sourceSliceUpdates,
      writesPerChange: delta(c0, c1).map((x) => round(x / ch.flips, 3)),
      writesPerSourceSliceUpdate: delta(c0, c1).map((x) => round(x / ch.sourceSliceUpdates, 3)),
    };

    result.cost = { controllers: controllers.map((c) => ({ pid: c.child.pid, ...processCost(c.child.pid!) })) };
    const ctlMetrics = (await controllers[0]!.get('/metrics')).text;
    result.controllerPropagationSeconds = histogramQuantiles(ctlMetrics, 'mcsync_propagation_seconds', [0.5, 0.9, 0.99]);
    await Promise.all(controllers.map((c) => c.stop()));

    // A controller starting against converged replicas lists everything and reconciles every
    // key: a full relist with nothing changed. Then one periodic relist on top of it.
    say('steady state: a fresh controller, and a periodic relist, with nothing changed');
    const s0 = await quiet(dests);
    const steadyCfg = configFor(set.clusters, o, '15s');
    const again = await startRun(o, steadyCfg, dests, objects);
    const ctl = again.controllers[0]!;
    await waitFor(async () => (await metricValue(ctl, 'mcsync_relists_total', 'reason="resync"')) > 0, { what: 'a periodic relist', timeoutMs: 120_000, intervalMs: 1000 });
    await new Promise((r) => setTimeout(r, 3000));
    const s1 = await writes(dests);
    result.steady = { relistsSeen: await metricValue(ctl, 'mcsync_relists_total', 'reason="resync"'), reconciles: await metricValue(ctl, 'mcsync_reconciles_total'), writes: delta(s0, s1) };
    controllers.splice(0, controllers.length, ...again.controllers);
    await Promise.all(controllers.map((c) => c.stop()));

    if (o.scaling) {
      const sizes = o.scaling.split(',').map(Number);
      const rows: Record<string, unknown>[] = [];
      for (const size of sizes) {
        say(`scaling: ${size} services x ${o.endpoints} endpoints`);
        await runMcsync(['prune', '--config', cfg]);
        await deleteNamespace(source!, NS);
        await quiet(dests);
        await createWorkload(source!, NS, size, o.endpoints, say);
        const a0 = await quiet(dests);
        const ts = performance.now();
        const r = await runMcsync(['sync', '--config', cfg, '-o', 'json']);
        const secs = (performance.now() - ts) / 1000;
        if (r.code !== 0) throw new Error(`sync at ${size}: ${r.stderr}`);
        const a1 = await quiet(dests);
        const objs = await ownedObjects(dests);
        await runMcsync(['prune', '--config', cfg]);
        await quiet(dests);
        const run = await startRun(o, cfg, dests, objs);
        const cost = processCost(run.controllers[0]!.child.pid!);
        await Promise.all(run.controllers.map((c) => c.stop()));
        rows.push({ services: size, endpoints: size * o.endpoints, syncSeconds: round(secs), syncWrites: delta(a0, a1).reduce((s, x) => s + x, 0), runSecondsToAllReplicas: round(run.seconds), runRssPeakMB: cost.rssPeakMB, runCpuSeconds: cost.cpuSeconds });
      }
      result.scaling = rows;
    }
  } finally {
    await set.down();
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = join(new URL('./results/', import.meta.url).pathname, `${o.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n\n${summary(result)}\nwritten to ${file}\n`);
}

/** Quantiles of a Prometheus histogram (summed over its label sets), by linear interpolation within buckets. */
function histogramQuantiles(text: string, name: string, qs: number[]): Record<string, number> {
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)![1]!;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  const out: Record<string, number> = { count: total };
  for (const q of qs) {
    const target = q * total;
    let prevBound = 0;
    let prevCount = 0;
    for (const [bound, count] of sorted) {
      if (count >= target) {
        const frac = count === prevCount ? 0 : (target - prevCount) / (count - prevCount);
        out[`p${Math.round(q * 100)}`] = Number.isFinite(bound) ? round(prevBound + frac * (bound - prevBound), 4) : prevBound;
        break;
      }
      prevBound = bound;
      prevCount = count;
    }
  }
  return out;
}

function summary(r: Record<string, any>): string {
  const lines: string[] = [];
  const row = (k: string, v: unknown) => lines.push(`${k.padEnd(46)} ${v}`);
  const p = r.parameters as Options;
  row('workload', `${p.services} services x ${p.endpoints} endpoints, ${p.clusters} clusters, ${p.topology}`);
  row('sync: initial (s) / objects per s', `${r.sync.seconds} / ${r.sync.objectsPerSecond}`);
  row('sync: second run writes per destination', r.sync.secondRunWrites.join(', '));
  if (r.baseline) row('kubectl per object (s/object) / ratio', `${r.baseline.secondsPerObject} / ${r.baseline.ratioToMcsyncPerObject}x slower`);
  row('run: to all replicas (s)', r.run.secondsToAllReplicas);
  const q = (l: any) => `${l.p50} / ${l.p90} / ${l.p99} / ${l.max}  (n=${l.n})`;
  for (const [d, l] of Object.entries(r.churn.latencyMs as Record<string, any>)) row(`pod write -> replica in ${d} (ms) p50/p90/p99/max`, q(l));
  row('pod write -> source slice (ms) p50/p90/p99/max', q(r.churn.sourceControllerLatencyMs));
  for (const [d, l] of Object.entries(r.churn.mcsyncLatencyMs as Record<string, any>)) row(`source slice -> replica in ${d} (ms), mcsync's share`, q(l));
  row('churn: achieved rate (flips/s), missed', `${r.churn.achievedRate}, ${r.churn.missed}`);
  row('writes per pod flip, per destination', r.churn.writesPerChange.join(', '));
  row('writes per source slice update, per destination', r.churn.writesPerSourceSliceUpdate.join(', '));
  const cp = r.controllerPropagationSeconds;
  row('controller metric: event -> write acked (s) p50/p90/p99', `${cp.p50} / ${cp.p90} / ${cp.p99}  (n=${cp.count})`);
  row('writes: fresh start + periodic relist, per destination', r.steady.writes.join(', '));
  for (const c of r.cost.controllers) row('controller peak RSS (MB) / CPU (s)', `${c.rssPeakMB} / ${c.cpuSeconds}`);
  row('watches held on the source apiserver', r.run.watchesOnSource);
  for (const s of r.scaling ?? []) row(`scaling ${s.services} svc: sync s / run s / RSS MB`, `${s.syncSeconds} / ${s.runSecondsToAllReplicas} / ${s.runRssPeakMB}`);
  return lines.join('\n');
}

const program = new Command('bench')
  .option('--clusters <n>', 'clusters (the first is the source)', (v) => Number(v), 3)
  .option('--services <n>', 'services in the source', (v) => Number(v), 1000)
  .option('--endpoints <n>', 'endpoints (pods) per service', (v) => Number(v), 10)
  .option('--churn-rate <n>', 'readiness flips per second', (v) => Number(v), 50)
  .option('--churn-seconds <n>', 'how long to churn', (v) => Number(v), 60)
  .option('--topology <t>', 'push (one controller) or pull (one per destination)', 'push')
  .option('--baseline-services <n>', 'services for the kubectl-per-object baseline (0 to skip)', (v) => Number(v), 50)
  .option('--scaling <sizes>', 'also measure initial sync at these service counts, e.g. 100,1000,3000')
  .option('--write-qps <n>', 'the controller\'s write budget per destination for the run', (v) => Number(v), 1000)
  .option('--controller-node-options <opts>', 'Node flags for the controller only, after mcsync\'s own so they override them, e.g. --max-old-space-size=192, or --max-semi-space-size=0 for Node\'s default young generation')
  .option('--name <name>', 'results file name', 'default')
  .option('--peers <tool>', 'run every comparison instead: this benchmark, the peer (karmada), the floors and the fleet (bench/all.ts)')
  .option('--sections <list>', 'with --peers: which sections (default, peers, floor, fleet)')
  .option('--fleet <sizes>', 'with --peers: fleet sizes, e.g. 2,4,8,16')
  .action(async (o: Options & { peers?: string; sections?: string; fleet?: string }) => {
    if (o.peers !== undefined) {
      const { allProgram } = await import('./all.ts');
      const pass = (flag: string, v: string | undefined) => (v === undefined ? [] : [flag, v]);
      await allProgram.parseAsync(['node', 'bench/all.ts', '--peers', o.peers, ...pass('--sections', o.sections), ...pass('--fleet', o.fleet)]);
      return;
    }
    if (o.topology !== 'push' && o.topology !== 'pull') throw new Error('--topology is push or pull');
    if (o.clusters < 2) throw new Error('--clusters must be at least 2');
    await main(o);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  say(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
