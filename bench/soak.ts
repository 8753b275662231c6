// `npm run bench:soak -- [--minutes 60] [--rate 50] [--services 200] [--endpoints 2] [--sample 10]`
//
// A long run: `mcsync run` replicating N Services × E endpoints from a to b and c while the
// source changes at a steady rate (readiness flips, each a real EndpointSlice change), for an
// hour by default. Every --sample seconds it records the controller's RSS and used heap, its open
// sockets and file descriptors, its watches (/status), and the write and change rates, then says
// whether anything grows: the median of the first and last ten minutes after a five-minute
// warm-up, and the hourly trend. Prints JSON and a short table, writes bench/results/soak.json
// and draws docs/images/soak.svg. A benchmark, never a test.
import { Command } from 'commander';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import { writeConfig } from '../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../harness/src/mcsync/controller.ts';
import { waitFor } from '../harness/src/util/wait.ts';
import { KubeClient } from '../src/kube/client.ts';
import { growth, type SoakSample } from './lib/measure/soak.ts';
import { drawSoakChart } from './lib/report/soak-chart.ts';
import { createWorkload } from './lib/workload/workload.ts';

const opts = new Command('bench:soak')
  .option('--minutes <n>', 'how long the churn runs', (v) => Number(v), 60)
  .option('--rate <n>', 'source changes per second', (v) => Number(v), 50)
  .option('--services <n>', 'Services in the source', (v) => Number(v), 200)
  .option('--endpoints <n>', 'endpoints per Service', (v) => Number(v), 2)
  .option('--sample <s>', 'seconds between samples', (v) => Number(v), 10)
  .option('--name <name>', 'results file name (and chart, for "soak")', 'soak')
  .parse(process.argv)
  .opts<{ minutes: number; rate: number; services: number; endpoints: number; sample: number; name: string }>();

const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const NS = 'soak';

// Measure the product as installed: the compiled CLI, not the TypeScript sources.
process.env.MCSYNC_ENTRY = new URL('../dist/src/cli/main.js', import.meta.url).pathname;

function procStatusMB(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round((Number(m?.[1] ?? 0) / 1024) * 10) / 10;
}

function openFds(pid: number): { fds: number; sockets: number } {
  const entries = readdirSync(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const e of entries) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${e}`).startsWith('socket:')) sockets++;
    } catch {
      // closed between the listing and the read
    }
  }
  return { fds: entries.length, sockets };
}

/** A value of the controller's /metrics, summed over every series of that name. */
function metricSum(text: string, name: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

async function sampleOf(ctl: RunningController, t: number, prev: { t: number; writes: number; changes: number }, changes: number): Promise<{ sample: SoakSample; writes: number }> {
  const pid = ctl.child.pid!;
  const metrics = (await ctl.get('/metrics')).text;
  const progress = await ctl.progress();
  const writes = metricSum(metrics, 'mcsync_writes_total');
  const dt = Math.max(1e-3, t - prev.t);
  return {
    writes,
    sample: {
      t: Math.round(t),
      rssMB: procStatusMB(pid, 'VmRSS'),
      heapUsedMB: Math.round((metricSum(metrics, 'nodejs_heap_size_used_bytes') / 2 ** 20) * 10) / 10,
      ...openFds(pid),
      watches: progress.watches.length,
      writesPerSecond: Math.round(((writes - prev.writes) / dt) * 10) / 10,
      changesPerSecond: Math.round(((changes - prev.changes) / dt) * 10) / 10,
      queued: progress.queued,
    },
  };
}

const set = await startClusterSet({ names: ['a', 'b', 'c'], onProgress: log });
const samples: SoakSample[] = [];
let sent = 0;
let failed = 0;
try {
  const work = await createWorkload(set.get('a'), NS, opts.services, opts.endpoints, log);
  const config = writeConfig([
    'instance: soak',
    'clusters:', '- name: a', `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', `  - namespace: ${NS}`,
    '- name: b', `  kubeconfig: ${set.get('b').kubeconfigPath}`, '- name: c', `  kubeconfig: ${set.get('c').kubeconfigPath}`, '',
  ].join('\n'));
  const ctl = await startController(['--config', config, '--log-level', 'info']);
  await ctl.ready();
  const want = opts.services * opts.endpoints;
  const b = KubeClient.fromFile('b-soak', set.get('b').kubeconfigPath);
  await waitFor(async () => (await b.list<{ endpoints?: unknown[] }>(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, { labelSelector: 'mcsync.io/instance=soak' })).items.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === want,
    { what: `${want} replica endpoints in b`, timeoutMs: 600_000, intervalMs: 1000 });
  b.close();
  log(`replicated; churning at ${opts.rate}/s for ${opts.minutes} min`);

  // One small request per change: a merge patch of the pod's Ready condition on the status subresource.
  const a = KubeClient.fromFile('a-soak', set.get('a').kubeconfigPath, undefined, { maxSockets: 16 });
  const names = [...work.pods.keys()];
  const ready = new Map(names.map((n) => [n, true]));
  const flip = (name: string) => {
    const now = new Date().toISOString();
    const to = !ready.get(name);
    ready.set(name, to);
    const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: type === 'Ready' || type === 'ContainersReady' ? (to ? 'True' : 'False') : 'True', lastTransitionTime: now }));
    return a.request('PATCH', `/api/v1/namespaces/${NS}/pods/${name}/status`, { body: { status: { conditions } }, contentType: 'application/merge-patch+json' })
      .then(() => { sent++; }, () => { failed++; });
  };
  const t0 = performance.now();
  const end = t0 + opts.minutes * 60_000;
  let prev = { t: 0, writes: metricSum((await ctl.get('/metrics')).text, 'mcsync_writes_total'), changes: 0 };
  let nextSample = t0 + opts.sample * 1000;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; performance.now() < end; i++) {
    const due = t0 + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Bounded: a slow apiserver slows the churn rather than piling up requests (the achieved rate is recorded).
    while (inFlight.size >= 64) await Promise.race(inFlight);
    const p = flip(names[(i * 7919) % names.length]!);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (performance.now() >= nextSample) {
      nextSample += opts.sample * 1000;
      const t = (performance.now() - t0) / 1000;
      const { sample, writes } = await sampleOf(ctl, t, prev, sent);
      samples.push(sample);
      prev = { t, writes, changes: sent };
      if (samples.length % 30 === 0) log(`${Math.round(t / 60)} min: RSS ${sample.rssMB} MB, heap ${sample.heapUsedMB} MB, sockets ${sample.sockets}, watches ${sample.watches}, ${sample.writesPerSecond} writes/s, ${sample.changesPerSecond} changes/s`);
    }
  }
  await Promise.all(inFlight);
  a.close();
  await ctl.stop('SIGTERM');
} finally {
  await set.down();
}

const g = growth(samples, Math.min(300, (opts.minutes * 60) / 6), Math.min(600, (opts.minutes * 60) / 4));
const result = {
  name: opts.name,
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model },
  command: `npm run bench:soak -- ${process.argv.slice(2).join(' ')}`.trim(),
  settings: { minutes: opts.minutes, rate: opts.rate, services: opts.services, endpoints: opts.endpoints, sampleSeconds: opts.sample },
  changes: { sent, failed, achievedRate: Math.round((sent / (opts.minutes * 60)) * 10) / 10 },
  growth: g,
  samples,
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', `${opts.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
if (opts.name === 'soak') writeFileSync(new URL('../docs/images/soak.svg', import.meta.url), drawSoakChart(samples));
process.stdout.write(`${JSON.stringify({ ...result, samples: `${samples.length} samples in bench/results/${opts.name}.json` })}\n\n`);
process.stdout.write(`${'metric'.padEnd(20)} ${'first 10 min'.padEnd(14)} ${'last 10 min'.padEnd(14)} trend per hour\n`);
for (const [m, v] of Object.entries(g)) process.stdout.write(`${m.padEnd(20)} ${String(Math.round(v.first * 10) / 10).padEnd(14)} ${String(Math.round(v.last * 10) / 10).padEnd(14)} ${Math.round(v.perHour * 100) / 100}\n`);
