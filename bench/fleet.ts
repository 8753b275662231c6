// `npm run bench:fleet -- --clusters N [options]`: how mcsync grows with the number of clusters.
// N harness clusters each export S Services × E endpoints (namespace fleet-<name>) to all the
// others. Push (one controller for the fleet), then pull (one per cluster, --local-cluster),
// each from no replicas: time from start to every replica written, propagation to the last
// destination under churn in cluster a, controller RSS and CPU, and the watches and
// connections each apiserver holds. One N per run (each fits one turn of the clusters lock);
// rows are merged into bench/results/<name>.json by N and topology, and the chart in
// docs/images/fleet.svg is drawn again from that file.
import { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { ClusterInfo, RunningCluster } from '../harness/src/controlplane/cluster.ts';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import { runMcsync, writeConfig } from '../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../harness/src/mcsync/controller.ts';
import { waitFor } from '../harness/src/util/wait.ts';
import { BareClient } from './lib/compare/bare-client.ts';
import { round } from './lib/compare/baseline.ts';
import { churn } from './lib/workload/churn.ts';
import { connectionsByRemotePort } from './lib/measure/connections.ts';
import { drawFleetChart } from './lib/report/fleet-chart.ts';
import { processCost } from './lib/measure/measure.ts';
import { distribution, quiet } from './lib/measure/settle.ts';
import { createWorkload } from './lib/workload/workload.ts';

interface Options {
  clusters: number;
  services: number;
  endpoints: number;
  topology: string;
  churnRate: number;
  churnSeconds: number;
  stopControllerManagers: boolean;
  name: string;
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const INSTANCE = 'fleet';
const nsOf = (cluster: string) => `fleet-${cluster}`;

/** Watches open on an apiserver, of every scope and client. */
async function watchesHeld(c: ClusterInfo): Promise<number> {
  const client = await BareClient.open(c.kubeconfigPath, 1);
  try {
    const text = (await client.send('GET', '/metrics')).body;
    let n = 0;
    for (const line of text.split('\n')) if (line.startsWith('apiserver_longrunning_requests{') && line.includes('verb="WATCH"')) n += Number(line.slice(line.lastIndexOf('}') + 1));
    return n;
  } finally {
    client.close();
  }
}

async function managed(ctl: RunningController, cluster: string): Promise<number> {
  const text = (await ctl.get('/metrics')).text;
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('mcsync_managed_objects{') && line.includes(`cluster="${cluster}"`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const spread = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs), mean: round(xs.reduce((s, x) => s + x, 0) / xs.length, 1) });

async function measureTopology(topology: 'push' | 'pull', o: Options, cfg: string, clusters: ClusterInfo[], pods: Map<string, string>, firstPod: number): Promise<Record<string, unknown>> {
  const expected = (o.clusters - 1) * o.services * 2;
  const watchesBefore = await Promise.all(clusters.map(watchesHeld));
  const args = ['--config', cfg, '--log-level', 'info'];
  say(`${topology}: starting ${topology === 'push' ? 1 : clusters.length} controller(s)`);
  const started = performance.now();
  const controllers = topology === 'push'
    ? [await startController(args)]
    : await Promise.all(clusters.map((c) => startController([...args, '--local-cluster', c.name])));
  await waitFor(async () => {
    const counts = await Promise.all(clusters.map((c, i) => managed(topology === 'push' ? controllers[0]! : controllers[i]!, c.name)));
    return counts.every((n) => n >= expected);
  }, { what: 'every replica written', intervalMs: 200, timeoutMs: 900_000 });
  const seconds = (performance.now() - started) / 1000;
  const startCost = controllers.map((c) => processCost(c.child.pid!));
  await quiet(clusters);
  const watches = (await Promise.all(clusters.map(watchesHeld))).map((w, i) => w - watchesBefore[i]!);
  const ports = clusters.map((c) => Number(new URL(c.server).port));
  const held = controllers.map((c) => connectionsByRemotePort(c.child.pid!));
  const connections = ports.map((p) => held.reduce((s, m) => s + (m.get(p) ?? 0), 0));
  say(`${topology}: churn in a, ${o.churnRate} flips/s for ${o.churnSeconds}s`);
  const [a, ...dests] = clusters;
  const ch = await churn(a!, dests, nsOf(a!.name), INSTANCE, pods, o.churnRate, o.churnSeconds, { firstPod });
  const cost = controllers.map((c) => processCost(c.child.pid!));
  await Promise.all(controllers.map((c) => c.stop()));
  return {
    clusters: o.clusters,
    topology,
    controllers: controllers.length,
    replicasPerDestination: expected,
    replicasTotal: expected * clusters.length,
    secondsToAllReplicas: round(seconds),
    propagationToLastDestinationMs: distribution(ch.lastDestinationShareMs),
    endToEndToAnyDestinationMs: distribution(Object.values(ch.latenciesMs).flat()),
    sourceControllerMs: distribution(ch.sourceLatenciesMs),
    churn: { flips: ch.flips, achievedRate: ch.achievedRate, missed: ch.missed },
    rssPeakMB: { total: cost.reduce((s, c) => s + c.rssPeakMB, 0), max: Math.max(...cost.map((c) => c.rssPeakMB)), atAllReplicasTotal: startCost.reduce((s, c) => s + c.rssPeakMB, 0) },
    cpuSeconds: { total: round(cost.reduce((s, c) => s + c.cpuSeconds, 0)), toAllReplicas: round(startCost.reduce((s, c) => s + c.cpuSeconds, 0)) },
    watchesPerApiserver: spread(watches),
    connectionsPerApiserver: spread(connections),
  };
}

async function main(o: Options): Promise<void> {
  const entry = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  process.env.MCSYNC_ENTRY = entry;
  const names = Array.from({ length: o.clusters }, (_, i) => String.fromCharCode(97 + i));
  const topologies = o.topology.split(',') as ('push' | 'pull')[];
  const t0 = performance.now();
  const load0 = loadavg();
  say(`starting ${o.clusters} clusters`);
  const set = await startClusterSet({ names });
  const clusterStartSeconds = (performance.now() - t0) / 1000;
  const rows: Record<string, unknown>[] = [];
  const run: Record<string, unknown> = { clusterStartSeconds: round(clusterStartSeconds), freeMemoryGiBAfterStart: round(freemem() / 2 ** 30, 1) };
  try {
    say(`workload: ${o.services} services x ${o.endpoints} endpoints in each cluster`);
    const w0 = performance.now();
    const workloads = await Promise.all(set.clusters.map((c) => createWorkload(c, nsOf(c.name), o.services, o.endpoints, () => {})));
    run.workloadSeconds = round((performance.now() - w0) / 1000);
    if (o.stopControllerManagers) {
      // Only a's EndpointSlice controller is needed from here on (the churn is there); the others
      // have published their slices, and destinations need no controller-manager.
      for (const c of set.running.slice(1) as RunningCluster[]) await c.processes[2]?.stop();
    }
    const cfg = writeConfig([
      `instance: ${INSTANCE}`,
      'controller:', '  writeQps: 1000', '  writeBurst: 1000',
      'clusters:',
      ...set.clusters.flatMap((c) => [`- name: ${c.name}`, `  kubeconfig: ${c.kubeconfigPath}`, '  services:', `  - namespace: ${nsOf(c.name)}`]), '',
    ].join('\n'));
    // Each topology's churn flips pods the previous one left alone (still ready).
    const flipsPerChurn = Math.round(o.churnRate * o.churnSeconds);
    for (const [i, t] of topologies.entries()) {
      await quiet(set.clusters);
      rows.push({ ...(await measureTopology(t, o, cfg, set.clusters, workloads[0]!.pods, i * flipsPerChurn)), ...run });
      const pruned = await runMcsync(['prune', '--config', cfg]);
      if (pruned.code !== 0) throw new Error(`prune failed: ${pruned.stderr}`);
    }
  } finally {
    await set.down();
  }
  const file = new URL(`./results/${o.name}.json`, import.meta.url).pathname;
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { rows: Record<string, unknown>[] }).rows : [];
  const key = (r: Record<string, unknown>) => `${r.clusters}|${r.topology}`;
  const stamped: Record<string, unknown>[] = rows.map((r) => ({ ...r, date: new Date().toISOString(), command: `npm run bench:fleet -- ${process.argv.slice(2).join(' ')}`.trim(), loadAverageAtStart: load0.map((x) => round(x, 2)), loadAverageAtEnd: loadavg().map((x) => round(x, 2)) }));
  const merged: Record<string, unknown>[] = [...previous.filter((p) => !stamped.some((r) => key(r) === key(p))), ...stamped]
    .sort((x, y) => Number(x.clusters) - Number(y.clusters) || (String(x.topology) < String(y.topology) ? -1 : 1));
  const result = {
    name: o.name,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    workload: { servicesPerCluster: o.services, endpointsPerService: o.endpoints, exportsTo: 'every other cluster' },
    rows: merged,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const chart = drawFleetChart(merged as never);
  writeFileSync(new URL('../docs/images/fleet.svg', import.meta.url), chart);
  process.stdout.write(`${JSON.stringify(stamped, null, 2)}\n\n${table(stamped)}\nwritten to ${file} and docs/images/fleet.svg\n`);
}

function table(rows: Record<string, any>[]): string {
  const head = ['N', 'topology', 'to all (s)', 'last dest p50/p99 (ms)', 'RSS total/max (MB)', 'CPU (s)', 'watches/apiserver', 'conns/apiserver'];
  const lines = [head.join(' | ')];
  for (const r of rows) {
    lines.push([r.clusters, r.topology, r.secondsToAllReplicas, `${r.propagationToLastDestinationMs.p50}/${r.propagationToLastDestinationMs.p99}`,
      `${r.rssPeakMB.total}/${r.rssPeakMB.max}`, r.cpuSeconds.total, `${r.watchesPerApiserver.min}-${r.watchesPerApiserver.max}`, `${r.connectionsPerApiserver.min}-${r.connectionsPerApiserver.max}`].join(' | '));
  }
  return lines.join('\n');
}

const program = new Command('bench:fleet')
  .option('--clusters <n>', 'clusters in the fleet, each exporting to all others', (v) => Number(v), 4)
  .option('--services <n>', 'services exported by each cluster', (v) => Number(v), 50)
  .option('--endpoints <n>', 'endpoints per service', (v) => Number(v), 10)
  .option('--topology <list>', 'push, pull or both', 'push,pull')
  .option('--churn-rate <n>', 'readiness flips per second in cluster a', (v) => Number(v), 20)
  .option('--churn-seconds <n>', 'how long to churn', (v) => Number(v), 10)
  .option('--stop-controller-managers', 'stop every controller-manager but a\'s once the source slices exist (lighter clusters)', false)
  .option('--name <name>', 'results file name', 'fleet')
  .action(async (o: Options) => {
    if (o.clusters < 2 || o.clusters > 26) throw new Error('--clusters is 2 to 26');
    await main(o);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  say(`bench:fleet failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
