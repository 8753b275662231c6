// `npm run bench:peers -- [options]`: mcsync next to Karmada's MultiClusterService (CrossCluster)
// on the same workload, the same machine and the same client budget, in push mode, pull mode or
// both (--mode). Each mode, tool and consumer count gets fresh clusters in a child process that
// holds /tmp/mcsync-clusters.lock only while
// its clusters run; this process builds what is missing first, then gathers the figures into
// bench/results/<name>.json, with the ratios, and prints a short table. Nothing here passes or fails.
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { CONTROL_PLANE, ensureComponents } from '../harness/src/controlplane/components.ts';
import { ensureKarmada, KARMADA_CONTROL_PLANE, KARMADA_PULL, KARMADA_VERSION } from '../harness/src/karmada/binaries.ts';
import { round } from './lib/compare/baseline.ts';
import { parseModes, ratioKey, type Mode } from './lib/compare/peer-modes.ts';
import { peerRun, type PeerRunOptions, type Tool } from './lib/compare/peer-run.ts';

interface Options {
  services: number;
  endpoints: number;
  consumers: string;
  rates: string;
  churnSeconds: number;
  qps: number;
  burst: number;
  tools: string;
  /** push, pull or push,pull; in a child, the one mode it runs. */
  mode: string;
  name: string;
  /** Internal: run one environment and write its figures to this file. */
  one?: string;
  tool?: Tool;
  consumerCount?: number;
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const LOCK = '/tmp/mcsync-clusters.lock';

function runOptions(o: Options, tool: Tool, mode: Mode, consumers: number): PeerRunOptions {
  return { tool, mode, consumers, services: o.services, endpoints: o.endpoints, rates: o.rates.split(',').map(Number), churnSeconds: o.churnSeconds, qps: o.qps, burst: o.burst };
}

/** One environment in a child under the cluster lock, so the lock is held per environment, not for the whole comparison. */
function runChild(o: Options, tool: Tool, mode: Mode, consumers: number, out: string): Promise<void> {
  const args = ['-n', '5', 'flock', LOCK, process.execPath, new URL(import.meta.url).pathname,
    '--services', String(o.services), '--endpoints', String(o.endpoints), '--rates', o.rates, '--churn-seconds', String(o.churnSeconds),
    '--qps', String(o.qps), '--burst', String(o.burst), '--tool', tool, '--mode', mode, '--consumer-count', String(consumers), '--one', out];
  return new Promise((resolve, reject) => {
    const child = spawn('nice', args, { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} (${mode}) with ${consumers} consumer(s) failed (exit ${code})`))));
  });
}

type Figures = Record<string, any>;

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : round(a / b, 2));

/** Karmada over mcsync for each figure of the same consumer count (above 1: Karmada needs more). */
function ratios(m: Figures, k: Figures): Figures {
  const out: Figures = { initialSyncSeconds: ratio(k.initialSync.seconds, m.initialSync.seconds) };
  for (const kc of k.churn as Figures[]) {
    const mc = (m.churn as Figures[]).find((x) => x.rate === kc.rate);
    if (!mc) continue;
    const firstConsumer = Object.keys(kc.latencyMs)[0]!;
    out[`latency@${kc.rate}/s`] = Object.fromEntries(['p50', 'p90', 'p99'].map((q) => [q, ratio(kc.latencyMs[firstConsumer][q], mc.latencyMs[firstConsumer][q])]));
    const sum = (w: Record<string, number>) => Object.values(w).reduce((s, v) => s + v, 0);
    out[`writesPerChange@${kc.rate}/s`] = ratio(sum(kc.writesPerChange), sum(mc.writesPerChange));
  }
  out.cpuSeconds = ratio(k.cost.tool.cpuSeconds, m.cost.tool.cpuSeconds);
  out.rssPeakMB = ratio(k.cost.tool.rssPeakMB, m.cost.tool.rssPeakMB);
  out.cpuSecondsWithKarmadaApiserver = ratio(k.cost.tool.cpuSeconds + k.cost.karmadaApiserver.cpuSeconds, m.cost.tool.cpuSeconds);
  out.rssPeakMBWithKarmadaApiserver = ratio(k.cost.tool.rssPeakMB + k.cost.karmadaApiserver.rssPeakMB, m.cost.tool.rssPeakMB);
  return out;
}

function table(runs: Figures[]): string {
  const lines: string[] = [];
  const row = (k: string, v: unknown) => lines.push(`${k.padEnd(58)} ${v}`);
  for (const r of runs) {
    const tag = `${r.tool} ${r.mode ?? 'push'}, ${r.consumers} consumer(s)`;
    row(`${tag}: initial sync (s)`, r.initialSync.seconds);
    for (const c of r.churn as Figures[]) {
      for (const [d, l] of Object.entries(c.latencyMs as Record<string, Figures>)) row(`${tag}: @${c.rate}/s pod write -> ${d} slice p50/p90/p99 (ms)`, `${l.p50} / ${l.p90} / ${l.p99} (n=${l.n}, missed ${c.missed})`);
      row(`${tag}: @${c.rate}/s writes per change`, Object.entries(c.writesPerChange as Record<string, number>).map(([n, w]) => `${n} ${w}`).join(', '));
    }
    row(`${tag}: CPU s / peak RSS MB (tool)`, `${r.cost.tool.cpuSeconds} / ${r.cost.tool.rssPeakMB}`);
    if (r.cost.karmadaApiserver) row(`${tag}: CPU s / peak RSS MB (karmada-apiserver, etcd, kcm)`, `${r.cost.karmadaApiserver.cpuSeconds} / ${r.cost.karmadaApiserver.rssPeakMB}`);
  }
  return lines.join('\n');
}

async function main(o: Options): Promise<void> {
  if (o.one) {
    const figures = await peerRun(runOptions(o, o.tool!, parseModes(o.mode)[0]!, o.consumerCount!), say);
    writeFileSync(o.one, JSON.stringify(figures));
    return;
  }
  const entry = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  process.env.MCSYNC_ENTRY = entry;
  // Build before taking the cluster lock: a cold Karmada build takes many minutes.
  await ensureComponents(CONTROL_PLANE, { onProgress: say });
  const tools = o.tools.split(',') as Tool[];
  const modes = parseModes(o.mode);
  if (tools.includes('karmada')) await ensureKarmada(modes.includes('pull') ? KARMADA_PULL : KARMADA_CONTROL_PLANE, say);
  const tmp = mkdtempSync(join(tmpdir(), 'mcsync-peers-out-'));
  const runs: Figures[] = [];
  const failures: string[] = [];
  try {
    for (const mode of modes) {
      for (const consumers of o.consumers.split(',').map(Number)) {
        for (const tool of tools) {
          const out = join(tmp, `${tool}-${mode}-${consumers}.json`);
          say(`== ${tool}, ${mode} mode, ${consumers} consumer(s)`);
          try {
            await runChild(o, tool, mode, consumers, out);
            runs.push(JSON.parse(readFileSync(out, 'utf8')) as Figures);
          } catch (err) {
            failures.push((err as Error).message);
            say((err as Error).message);
          }
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // Each tool is compared with the other in the same mode and with the same consumers.
  const byEnvironment = new Map<string, { mcsync?: Figures; karmada?: Figures }>();
  for (const r of runs) {
    const key = ratioKey(r.mode as Mode, r.consumers as number);
    byEnvironment.set(key, { ...byEnvironment.get(key), [r.tool]: r });
  }
  const result = {
    name: o.name,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    command: `npm run bench:peers -- ${process.argv.slice(2).join(' ')}`.trim(),
    karmadaVersion: KARMADA_VERSION,
    parameters: { modes: modes.join(','), services: o.services, endpoints: o.endpoints, consumers: o.consumers, rates: o.rates, churnSeconds: o.churnSeconds, qps: o.qps, burst: o.burst },
    runs,
    ratiosKarmadaOverMcsync: Object.fromEntries([...byEnvironment].filter(([, v]) => v.mcsync && v.karmada).map(([key, v]) => [key, ratios(v.mcsync!, v.karmada!)])),
    failures,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = join(new URL('./results/', import.meta.url).pathname, `${o.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${table(runs)}\n\nratios (Karmada / mcsync): ${JSON.stringify(result.ratiosKarmadaOverMcsync, null, 2)}\n${failures.length ? `failed: ${failures.join('; ')}\n` : ''}written to ${file}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

const program = new Command('bench:peers')
  .option('--services <n>', 'services in the provider', (v) => Number(v), 50)
  .option('--endpoints <n>', 'endpoints (pods) per service', (v) => Number(v), 10)
  .option('--consumers <list>', 'consumer counts to run, e.g. 1,2', '1,2')
  .option('--rates <list>', 'churn rates (readiness flips per second)', '10,50')
  .option('--churn-seconds <n>', 'how long each churn lasts', (v) => Number(v), 20)
  .option('--qps <n>', 'client QPS per cluster for both tools (mcsync writeQps; Karmada --kube-api-qps and --cluster-api-qps)', (v) => Number(v), 40)
  .option('--burst <n>', 'client burst per cluster for both tools', (v) => Number(v), 60)
  .option('--tools <list>', 'which tools', 'mcsync,karmada')
  .option('--mode <list>', 'push (one mcsync, Karmada dialling every member), pull (one mcsync per consumer, a karmada-agent per member) or push,pull', 'push')
  .option('--name <name>', 'results file name', 'peers')
  .option('--one <file>')
  .option('--tool <tool>')
  .option('--consumer-count <n>', '', (v) => Number(v))
  .action(async (o: Options) => {
    await main(o);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  say(`bench:peers failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
