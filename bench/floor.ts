// `npm run bench:floor -- [options]`: what mcsync costs against the least this machine allows.
//
// 1. Initial sync. `mcsync sync` replicates the workload into b and c; its replicas are captured,
//    removed, and created again by a bare client (bench/lib/compare/bare-client.ts: one keep-alive agent,
//    POST after POST, no logic) at mcsync's concurrency and at a sweep of others, into the same
//    destinations, so the floor writes exactly the same objects, byte for byte less the fields
//    the server assigns.
// 2. Propagation. The same churn as `npm run bench` (bench/lib/workload/churn.ts) runs once against
//    `mcsync run` and once against a minimal relay (bench/lib/compare/relay.ts: watch the source slice, PUT
//    the replica), and both are timed the same way: source slice seen → replica slice seen.
//
// Prints JSON and a table and writes bench/results/<name>.json. Nothing here passes or fails.
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ClusterInfo } from '../harness/src/controlplane/cluster.ts';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import { runMcsync, writeConfig } from '../harness/src/mcsync/cli.ts';
import { startController } from '../harness/src/mcsync/controller.ts';
import { waitFor } from '../harness/src/util/wait.ts';
import { BareClient, pool } from './lib/compare/bare-client.ts';
import { round } from './lib/compare/baseline.ts';
import { churn } from './lib/workload/churn.ts';
import { processCost } from './lib/measure/measure.ts';
import { delta, distribution, median, quiet } from './lib/measure/settle.ts';
import { createWorkload } from './lib/workload/workload.ts';

interface Options {
  services: number;
  endpoints: number;
  concurrency: number;
  sweep: string;
  rounds: number;
  churnRate: number;
  churnSeconds: number;
  relay: boolean;
  name: string;
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const NS = 'bench';
const INSTANCE = 'bench';
const OWNED = encodeURIComponent(`mcsync.io/instance=${INSTANCE}`);
const SERVICES = `/api/v1/namespaces/${NS}/services`;
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`;

interface Replayable {
  path: string;
  body: string;
}

/** What mcsync wrote into a destination, as bodies a bare client can POST again: server-set fields dropped. */
async function capture(client: BareClient): Promise<Replayable[]> {
  type Obj = { metadata: Record<string, unknown> & { labels?: Record<string, string> }; spec?: Record<string, unknown>; status?: unknown };
  const list = async (path: string) => (JSON.parse((await client.send('GET', `${path}?labelSelector=${OWNED}`)).body) as { items: Obj[] }).items;
  const clean = (o: Obj, apiVersion: string, kind: string) => {
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, managedFields: _m, ...metadata } = o.metadata;
    const out: Record<string, unknown> = { apiVersion, kind, ...o, metadata };
    delete out.status;
    if (o.spec) {
      const { clusterIP: _ip, clusterIPs: _ips, ...spec } = o.spec;
      out.spec = spec;
    }
    return JSON.stringify(out);
  };
  const [services, slices] = await Promise.all([list(SERVICES), list(SLICES)]);
  const byName = (x: Obj, y: Obj) => (String(x.metadata.name) < String(y.metadata.name) ? -1 : String(x.metadata.name) > String(y.metadata.name) ? 1 : 0);
  // Every Service, then every slice: the phases mcsync's writer goes through (kube/write.ts).
  return [
    ...services.sort(byName).map((s) => ({ path: SERVICES, body: clean(s, 'v1', 'Service') })),
    ...slices.sort(byName).map((s) => ({ path: SLICES, body: clean(s, 'discovery.k8s.io/v1', 'EndpointSlice') })),
  ];
}

/** Removes every replica from a destination (the namespace stays, as after `mcsync prune`). */
async function clear(client: BareClient): Promise<void> {
  await client.send('DELETE', `${SLICES}?labelSelector=${OWNED}`);
  const svcs = (JSON.parse((await client.send('GET', `${SERVICES}?labelSelector=${OWNED}`)).body) as { items: { metadata: { name: string } }[] }).items;
  await pool(svcs, 32, async (s) => void (await client.send('DELETE', `${SERVICES}/${s.metadata.name}`)));
  await waitFor(async () => {
    const [a, b] = await Promise.all([client.send('GET', `${SERVICES}?labelSelector=${OWNED}&limit=1`), client.send('GET', `${SLICES}?labelSelector=${OWNED}&limit=1`)]);
    return (JSON.parse(a.body) as { items: unknown[] }).items.length + (JSON.parse(b.body) as { items: unknown[] }).items.length === 0;
  }, { what: 'replicas gone', intervalMs: 500, timeoutMs: 120_000 });
}

/** The floor: POST every captured object into its destination, `concurrency` in flight per destination. */
async function bareCreate(targets: { client: BareClient; objects: Replayable[] }[], concurrency: number): Promise<{ seconds: number; failed: number }> {
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(targets.map((t) => pool(t.objects, concurrency, async (o) => {
    const res = await t.client.send('POST', o.path, o.body);
    if (res.status !== 201) failed++;
  })));
  return { seconds: (performance.now() - t0) / 1000, failed };
}

function startRelay(source: ClusterInfo, dests: ClusterInfo[]) {
  const child = spawn(process.execPath, [new URL('./lib/compare/relay.ts', import.meta.url).pathname, '--source', source.kubeconfigPath, ...dests.flatMap((d) => ['--dest', d.kubeconfigPath]), '--namespace', NS], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('relay ready') && resolve());
    child.on('exit', (code) => reject(new Error(`relay exited ${code}`)));
  });
  return { child, ready, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

async function main(o: Options): Promise<void> {
  const entry = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  process.env.MCSYNC_ENTRY = entry;
  const sweep = o.sweep.split(',').map(Number);
  const set = await startClusterSet({ names: ['a', 'b', 'c'], onProgress: say });
  const result: Record<string, any> = {
    name: o.name,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), loadAverageAtStart: loadavg().map((x) => round(x, 2)) },
    command: `npm run bench:floor -- ${process.argv.slice(2).join(' ')}`.trim(),
    parameters: o,
  };
  const clients: BareClient[] = [];
  try {
    const [source, ...dests] = set.clusters as [ClusterInfo, ...ClusterInfo[]];
    say(`workload: ${o.services} services x ${o.endpoints} endpoints in a/${NS}`);
    const wl = await createWorkload(source, NS, o.services, o.endpoints, say);
    result.workload = { services: o.services, endpoints: o.services * o.endpoints, createSeconds: round(wl.createSeconds) };
    const cfg = writeConfig([
      `instance: ${INSTANCE}`, `concurrency: ${o.concurrency}`,
      'controller:', '  writeQps: 1000', '  writeBurst: 1000',
      'clusters:', '- name: a', `  kubeconfig: ${source.kubeconfigPath}`, '  services:', `  - namespace: ${NS}`,
      ...dests.flatMap((d) => [`- name: ${d.name}`, `  kubeconfig: ${d.kubeconfigPath}`]), '',
    ].join('\n'));
    const destClients = await Promise.all(dests.map((d) => BareClient.open(d.kubeconfigPath, 64)));
    clients.push(...destClients);

    // mcsync's initial sync, `rounds` times from no replicas, and once with nothing to do: the
    // fixed cost (process start, connections, lists, plan) that the floor does not pay.
    const mcsyncRuns: { seconds: number; writes: number[] }[] = [];
    for (let r = 0; r < o.rounds; r++) {
      if (r > 0) await Promise.all(destClients.map(clear));
      const w0 = await quiet(dests);
      say(`mcsync sync, round ${r + 1}`);
      const t0 = performance.now();
      const run = await runMcsync(['sync', '--config', cfg, '-o', 'json']);
      const seconds = (performance.now() - t0) / 1000;
      if (run.code !== 0) throw new Error(`mcsync sync failed: ${run.stderr}`);
      mcsyncRuns.push({ seconds: round(seconds), writes: delta(w0, await quiet(dests)) });
    }
    const t1 = performance.now();
    await runMcsync(['sync', '--config', cfg, '-o', 'json']);
    const noopSeconds = (performance.now() - t1) / 1000;

    const objects = await Promise.all(destClients.map(capture));
    const bytes = objects.flat().reduce((s, x) => s + Buffer.byteLength(x.body), 0);
    result.objects = { perDestination: objects.map((x) => x.length), bodyBytes: bytes, meanBodyBytes: round(bytes / objects.flat().length, 0) };

    const floorRuns: { concurrency: number; seconds: number; writes: number[]; failed: number }[] = [];
    const order = [...sweep, ...Array.from({ length: Math.max(0, o.rounds - 1) }, () => o.concurrency)];
    for (const c of order) {
      await Promise.all(destClients.map(clear));
      const w0 = await quiet(dests);
      say(`bare creator at ${c} in flight per destination`);
      const r = await bareCreate(destClients.map((client, i) => ({ client, objects: objects[i]! })), c);
      floorRuns.push({ concurrency: c, seconds: round(r.seconds), writes: delta(w0, await quiet(dests)), failed: r.failed });
    }
    const floorAt = (c: number) => median(floorRuns.filter((f) => f.concurrency === c).map((f) => f.seconds));
    const best = [...new Set(floorRuns.map((f) => f.concurrency))].map((c) => ({ c, s: floorAt(c) })).sort((x, y) => x.s - y.s)[0]!;
    const mcsyncSeconds = median(mcsyncRuns.map((m) => m.seconds));
    result.sync = {
      mcsync: { runs: mcsyncRuns, medianSeconds: round(mcsyncSeconds), noopSeconds: round(noopSeconds), writePhaseSeconds: round(mcsyncSeconds - noopSeconds) },
      floor: { runs: floorRuns, atMcsyncConcurrency: round(floorAt(o.concurrency)), best: { concurrency: best.c, seconds: round(best.s) } },
      ratio: {
        toFloorAtMcsyncConcurrency: round(mcsyncSeconds / floorAt(o.concurrency)),
        toBestFloor: round(mcsyncSeconds / best.s),
        writePhaseToFloorAtMcsyncConcurrency: round((mcsyncSeconds - noopSeconds) / floorAt(o.concurrency)),
      },
    };

    if (o.relay) {
      // Replicas back in place (mcsync's own), then the same churn against each replicator.
      await Promise.all(destClients.map(clear));
      const sync = await runMcsync(['sync', '--config', cfg, '-o', 'json']);
      if (sync.code !== 0) throw new Error(`mcsync sync failed: ${sync.stderr}`);
      await quiet(dests);
      const pooled = (m: Record<string, number[]>) => Object.values(m).flat();
      say(`propagation: mcsync run, ${o.churnRate} flips/s for ${o.churnSeconds}s`);
      const ctl = await startController(['--config', cfg, '--log-level', 'info']);
      await ctl.ready();
      await quiet(dests);
      const m = await churn(source, dests, NS, INSTANCE, wl.pods, o.churnRate, o.churnSeconds);
      const mcsyncCost = processCost(ctl.child.pid!);
      await ctl.stop();
      await quiet(dests);
      say(`propagation: minimal relay, ${o.churnRate} flips/s for ${o.churnSeconds}s`);
      const relay = startRelay(source, dests);
      await relay.ready;
      const f = await churn(source, dests, NS, INSTANCE, wl.pods, o.churnRate, o.churnSeconds, { firstPod: m.flips });
      const relayCost = processCost(relay.child.pid!);
      await relay.stop();
      const md = distribution(pooled(m.mcsyncLatenciesMs));
      const fd = distribution(pooled(f.mcsyncLatenciesMs));
      result.propagation = {
        what: 'source slice seen -> replica slice seen, ms, both destinations pooled',
        mcsync: { share: md, endToEnd: distribution(pooled(m.latenciesMs)), sourceController: distribution(m.sourceLatenciesMs), achievedRate: m.achievedRate, missed: m.missed, cost: mcsyncCost },
        relay: { share: fd, endToEnd: distribution(pooled(f.latenciesMs)), sourceController: distribution(f.sourceLatenciesMs), achievedRate: f.achievedRate, missed: f.missed, cost: relayCost },
        ratio: { p50: round(md.p50 / fd.p50), p90: round(md.p90 / fd.p90), p99: round(md.p99 / fd.p99) },
      };
    }
  } finally {
    for (const c of clients) c.close();
    await set.down();
  }
  result.loadAverageAtEnd = loadavg().map((x) => round(x, 2));
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = join(new URL('./results/', import.meta.url).pathname, `${o.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n\n${table(result)}\nwritten to ${file}\n`);
}

function table(r: Record<string, any>): string {
  const lines: string[] = [];
  const row = (k: string, v: unknown) => lines.push(`${k.padEnd(52)} ${v}`);
  const s = r.sync;
  row('objects per destination / mean body bytes', `${r.objects.perDestination.join(', ')} / ${r.objects.meanBodyBytes}`);
  row('mcsync sync (s): runs / median / no-op sync', `${s.mcsync.runs.map((x: any) => x.seconds).join(', ')} / ${s.mcsync.medianSeconds} / ${s.mcsync.noopSeconds}`);
  for (const f of s.floor.runs) row(`bare creator at ${f.concurrency} in flight (s)`, `${f.seconds}${f.failed ? `  (${f.failed} failed)` : ''}`);
  row(`mcsync / floor at ${r.parameters.concurrency}`, `${s.ratio.toFloorAtMcsyncConcurrency}x (write phase only: ${s.ratio.writePhaseToFloorAtMcsyncConcurrency}x)`);
  row(`mcsync / best floor (at ${s.floor.best.concurrency})`, `${s.ratio.toBestFloor}x`);
  if (r.propagation) {
    const p = r.propagation;
    const q = (d: any) => `${d.p50} / ${d.p90} / ${d.p99} / ${d.max} (n=${d.n})`;
    row('mcsync share (ms) p50/p90/p99/max', q(p.mcsync.share));
    row('relay share (ms) p50/p90/p99/max', q(p.relay.share));
    row('mcsync / relay at p50, p90, p99', `${p.ratio.p50}, ${p.ratio.p90}, ${p.ratio.p99}`);
    row('source controller (ms) p50/p99, mcsync run / relay run', `${p.mcsync.sourceController.p50}/${p.mcsync.sourceController.p99}, ${p.relay.sourceController.p50}/${p.relay.sourceController.p99}`);
    row('RSS MB / CPU s: mcsync / relay', `${p.mcsync.cost.rssPeakMB}/${p.mcsync.cost.cpuSeconds}, ${p.relay.cost.rssPeakMB}/${p.relay.cost.cpuSeconds}`);
  }
  return lines.join('\n');
}

const program = new Command('bench:floor')
  .option('--services <n>', 'services in the source', (v) => Number(v), 1000)
  .option('--endpoints <n>', 'endpoints (pods) per service', (v) => Number(v), 10)
  .option('--concurrency <n>', 'mcsync\'s writes in flight per destination (its config default is 8)', (v) => Number(v), 8)
  .option('--sweep <list>', 'the bare creator\'s concurrencies', '1,4,8,16,32,64')
  .option('--rounds <n>', 'mcsync syncs, and bare creates at mcsync\'s concurrency, from no replicas', (v) => Number(v), 2)
  .option('--churn-rate <n>', 'readiness flips per second', (v) => Number(v), 50)
  .option('--churn-seconds <n>', 'how long to churn each replicator', (v) => Number(v), 30)
  .option('--no-relay', 'skip the propagation floor')
  .option('--name <name>', 'results file name', 'floor')
  .action(main);

program.parseAsync(process.argv).catch((err: unknown) => {
  say(`bench:floor failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
