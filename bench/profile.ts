// `npm run bench:profile -- [--command sync|run] [--services N] [--endpoints E]`: where mcsync's
// time goes. Builds the same workload as the benchmark, runs the compiled CLI under V8's
// sampling CPU profiler (--cpu-prof), and prints self time by function and by where the code
// lives (mcsync, a dependency, Node itself), so a missed target can be attributed instead of
// guessed. `sync` profiles an initial sync; `run` profiles the controller started against
// replicas a sync already wrote, through a churn of readiness flips (propagation's work).
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import { writeConfig } from '../harness/src/mcsync/cli.ts';
import { scratchDir } from '../harness/src/util/tempdir.ts';
import { startController } from '../harness/src/mcsync/controller.ts';
import { churn } from './lib/workload/churn.ts';
import { createWorkload } from './lib/workload/workload.ts';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(url: string): string {
  if (url.includes('/node_modules/')) return `dependency: ${url.split('/node_modules/').pop()!.split('/').slice(0, url.includes('/@') ? 2 : 1).join('/')}`;
  if (url.includes('/dist/src/')) return 'mcsync';
  if (url.startsWith('node:') || url === '') return 'node / V8 (incl. GC, idle, JSON)';
  return url;
}

export function summarize(p: Profile) {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byFn = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    if (!us) continue;
    const f = n.callFrame;
    const fn = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : ''}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byPlace.set(where(f.url), (byPlace.get(where(f.url)) ?? 0) + us);
  }
  const total = (p.endTime - p.startTime) / 1000;
  // Who calls the heaviest frames: a native frame such as writev says little by its name alone.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n] as const));
  const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'}${n.callFrame.url ? ` ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}` : ''}`;
  const callers = new Map<string, Map<string, number>>();
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    if (!us || n.callFrame.url) continue; // native and V8 frames only
    const chain: string[] = [];
    for (let id = parent.get(n.id); id !== undefined && chain.length < 4; id = parent.get(id)) chain.push(label(byId.get(id)!));
    const m = callers.get(label(n)) ?? new Map<string, number>();
    m.set(chain.join(' < '), (m.get(chain.join(' < ')) ?? 0) + us);
    callers.set(label(n), m);
  }
  const heaviestNative = [...callers].map(([fn, m]) => [fn, [...m.values()].reduce((a, b) => a + b, 0), m] as const)
    .filter(([fn]) => !fn.startsWith('(')).sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([fn, us, m]) => ({ what: fn, ms: Math.round(us / 1000), calledFrom: [...m].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([chain, v]) => ({ chain, ms: Math.round(v / 1000) })) }));
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => ({ what: k, ms: Math.round(us / 1000), pct: Math.round((us / 1000 / total) * 1000) / 10 }));
  return { wallMs: Math.round(total), byPlace: top(byPlace, 10), topFunctions: top(byFn, 20), heaviestNative };
}

interface ProfileOptions {
  command: string;
  services: number;
  endpoints: number;
  churnRate: number;
  churnSeconds: number;
}

function profileIn(dir: string): Profile {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
}

const program = new Command('bench:profile')
  .option('--command <c>', 'sync (an initial sync) or run (the controller under churn)', 'sync')
  .option('--services <n>', 'services', (v) => Number(v), 1000)
  .option('--endpoints <n>', 'endpoints per service', (v) => Number(v), 10)
  .option('--churn-rate <n>', 'run: readiness flips per second', (v) => Number(v), 50)
  .option('--churn-seconds <n>', 'run: how long to churn', (v) => Number(v), 30)
  .action(async (o: ProfileOptions) => {
    if (o.command !== 'sync' && o.command !== 'run') throw new Error('--command is sync or run');
    const entry = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
    const set = await startClusterSet({ names: ['a', 'b', 'c'] });
    try {
      const [a, b, c] = set.clusters as [typeof set.clusters[0], typeof set.clusters[0], typeof set.clusters[0]];
      process.stderr.write(`workload: ${o.services} x ${o.endpoints}\n`);
      const wl = await createWorkload(a!, 'bench', o.services, o.endpoints, (s) => process.stderr.write(`${s}\n`));
      const cfg = writeConfig(['instance: bench', 'concurrency: 16', 'controller:', '  writeQps: 1000', '  writeBurst: 1000', 'clusters:', `- name: a`, `  kubeconfig: ${a!.kubeconfigPath}`, '  services:', '  - namespace: bench',
        `- name: b`, `  kubeconfig: ${b!.kubeconfigPath}`, `- name: c`, `  kubeconfig: ${c!.kubeconfigPath}`].join('\n') + '\n');
      const dir = scratchDir('mcsync-prof-');
      const started = performance.now();
      const command = `npm run bench:profile -- --command ${o.command} --services ${o.services} --endpoints ${o.endpoints}${o.command === 'run' ? ` --churn-rate ${o.churnRate} --churn-seconds ${o.churnSeconds}` : ''}`;
      let extra: Record<string, unknown> = {};
      if (o.command === 'sync') {
        const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, entry, 'sync', '--config', cfg, '-o', 'json'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`sync failed: ${r.stderr}`);
      } else {
        const r = spawnSync(process.execPath, [entry, 'sync', '--config', cfg, '-o', 'json'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`sync failed: ${r.stderr}`);
        process.env.MCSYNC_ENTRY = entry;
        process.env.MCSYNC_NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${dir}`;
        const ctl = await startController(['--config', cfg, '--log-level', 'info']);
        await new Promise((r) => setTimeout(r, 5000)); // its start: lists, and a reconcile of every key that writes nothing
        const ch = await churn(a!, [b!, c!], 'bench', 'bench', wl.pods, o.churnRate, o.churnSeconds);
        await ctl.stop('SIGTERM');
        extra = { flips: ch.flips, missed: ch.missed };
      }
      const wall = Math.round(performance.now() - started);
      const summary = { command, date: new Date().toISOString(), processWallMs: wall, ...extra, ...summarize(profileIn(dir)) };
      const out = new URL(`./results/profile-${o.command}.json`, import.meta.url).pathname;
      writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n\nwhere ${o.command}'s time went (self time):\n`);
      for (const p of summary.byPlace) process.stdout.write(`  ${String(p.ms).padStart(7)} ms  ${String(p.pct).padStart(5)} %  ${p.what}\n`);
      process.stdout.write(`written to ${out}\n`);
    } finally {
      await set.down();
    }
  });

if (import.meta.filename === process.argv[1]) {
  program.parseAsync(process.argv).catch((err: unknown) => {
    process.stderr.write(`profile failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
