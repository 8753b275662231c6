// `npm run bench -- --peers karmada` (or `npm run bench:all`): every comparison in one run, on
// this machine, one after another so no two share the cores: the main benchmark (10,000
// endpoints × 3 clusters: sync, run, propagation, memory), mcsync next to Karmada, the floors,
// and the fleet from 2 to 16 clusters. Each section is its own benchmark process starting its
// own clusters and writing its own bench/results/<name>.json; this one gathers their headline
// figures into bench/results/side-by-side.json and prints one table. Nothing passes or fails.
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const SECTIONS = ['default', 'peers', 'floor', 'fleet'] as const;
const DEFAULT_FLEET = '2,4,8,16';
type Section = (typeof SECTIONS)[number];

interface Options {
  sections: string;
  fleet: string;
  peers: string;
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const results = (name: string) => join(import.meta.dirname, 'results', `${name}.json`);

/** Runs one benchmark script to its end; its table goes to our stdout, its progress to stderr. */
function runScript(script: string, args: string[]): Promise<void> {
  say(`\n== node bench/${script} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, script), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench/${script} exited with ${code}`))));
  });
}

/** The fleet sizes: push at each, pull where one controller per cluster still fits two cores. */
function fleetRuns(sizes: number[]): string[][] {
  return sizes.map((n) => (n > 8
    ? ['--clusters', String(n), '--topology', 'push', '--stop-controller-managers']
    : ['--clusters', String(n)]));
}

function read(name: string): any {
  const file = results(name);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/** The figures each section's own file holds that a reader compares first. */
export function headlines(files: { default?: any; peers?: any; floor?: any; fleet?: any }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const d = files.default;
  if (d) {
    out.default = {
      date: d.date,
      syncSeconds: d.sync?.seconds,
      runSecondsToAllReplicas: d.run?.secondsToAllReplicas,
      mcsyncShareMs: d.churn?.mcsyncLatencyMs,
      endToEndMs: d.churn?.latencyMs,
      writesPerChange: d.churn?.writesPerChange,
      controllerRssPeakMB: d.cost?.controllers?.[0]?.rssPeakMB,
      controllerCpuSeconds: d.cost?.controllers?.[0]?.cpuSeconds,
    };
  }
  if (files.peers) out.peers = { date: files.peers.date, karmadaVersion: files.peers.karmadaVersion, ratiosKarmadaOverMcsync: files.peers.ratiosKarmadaOverMcsync };
  const f = files.floor;
  if (f) {
    out.floor = {
      date: f.date,
      syncRatio: f.sync?.ratio,
      propagationRatio: f.propagation?.ratio,
      mcsyncShareMs: f.propagation?.mcsync?.share,
      relayShareMs: f.propagation?.relay?.share,
    };
  }
  if (files.fleet) {
    out.fleet = (files.fleet.rows ?? []).map((r: any) => ({
      clusters: r.clusters, topology: r.topology, secondsToAllReplicas: r.secondsToAllReplicas,
      lastDestinationP99Ms: r.propagationToLastDestinationMs?.p99, rssPeakMB: r.rssPeakMB, cpuSeconds: r.cpuSeconds,
    }));
  }
  return out;
}

function table(h: Record<string, any>): string {
  const lines: string[] = [];
  const row = (k: string, v: unknown) => lines.push(`${k.padEnd(58)} ${v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  if (h.default) {
    row('sync, 1,000 × 10 into 2 destinations (s)', h.default.syncSeconds);
    row('run, start → every replica (s)', h.default.runSecondsToAllReplicas);
    row('mcsync share of propagation at 50/s, b (ms)', h.default.mcsyncShareMs?.b && `p50 ${h.default.mcsyncShareMs.b.p50} / p99 ${h.default.mcsyncShareMs.b.p99}`);
    row('controller peak RSS at 10,000 endpoints × 3 (MB)', h.default.controllerRssPeakMB);
  }
  for (const [consumers, r] of Object.entries<any>(h.peers?.ratiosKarmadaOverMcsync ?? {})) {
    row(`Karmada / mcsync, ${consumers}: initial sync`, r.initialSyncSeconds);
    row(`Karmada / mcsync, ${consumers}: latency p50 at 10/s`, r['latency@10/s']?.p50);
    row(`Karmada / mcsync, ${consumers}: CPU / RSS`, `${r.cpuSeconds} / ${r.rssPeakMB}`);
  }
  if (h.floor) {
    row('mcsync sync / bare creator at the same concurrency', h.floor.syncRatio?.toFloorAtMcsyncConcurrency);
    row('mcsync sync write phase / bare creator', h.floor.syncRatio?.writePhaseToFloorAtMcsyncConcurrency);
    row('mcsync propagation share / minimal relay (p50, p99)', h.floor.propagationRatio && `${h.floor.propagationRatio.p50} / ${h.floor.propagationRatio.p99}`);
  }
  for (const r of h.fleet ?? []) row(`fleet ${r.clusters} clusters, ${r.topology}: start → every replica (s)`, r.secondsToAllReplicas);
  return lines.join('\n');
}

async function main(o: Options): Promise<void> {
  const sections = o.sections.split(',').map((s) => s.trim()).filter(Boolean) as Section[];
  for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`--sections: unknown section ${s} (known: ${SECTIONS.join(', ')})`);
  if (o.peers !== 'karmada') throw new Error('--peers: the one peer built here is karmada');
  const started = new Date();
  // Sections run one at a time and each reads the compiled CLI the npm script built once.
  if (sections.includes('default')) await runScript('run.ts', ['--name', 'default']);
  if (sections.includes('peers')) await runScript('peers.ts', ['--name', 'peers']);
  if (sections.includes('floor')) await runScript('floor.ts', ['--name', 'floor']);
  if (sections.includes('fleet')) for (const args of fleetRuns(o.fleet.split(',').map(Number))) await runScript('fleet.ts', [...args, '--name', 'fleet']);
  const h = headlines({ default: read('default'), peers: read('peers'), floor: read('floor'), fleet: read('fleet') });
  const result = {
    name: 'side-by-side',
    started: started.toISOString(),
    finished: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    command: `npm run bench -- --peers ${o.peers}${o.sections === SECTIONS.join(',') ? '' : ` --sections ${o.sections}`}${o.fleet === DEFAULT_FLEET ? '' : ` --fleet ${o.fleet}`}`,
    // Figures of sections not run this time come from their last files, each with its date.
    sectionsRun: sections,
    ...h,
  };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(results('side-by-side'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n${JSON.stringify(result)}\n\n${table(h)}\nwritten to ${results('side-by-side')}\n`);
}

export const allProgram = new Command('bench:all')
  .option('--sections <list>', `which sections, in this order: ${SECTIONS.join(', ')}`, SECTIONS.join(','))
  .option('--fleet <sizes>', 'fleet sizes (push at each; pull up to 8)', DEFAULT_FLEET)
  .option('--peers <tool>', 'the peer to compare with', 'karmada')
  .action(async (o: Options) => main(o));

if (import.meta.filename === process.argv[1]) {
  allProgram.parseAsync(process.argv).catch((err: unknown) => {
    say(`bench failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
