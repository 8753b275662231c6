// `npm run bench:memory -- [--services N] [--endpoints E] [--flips F] [--variants "A;B;…"] [--name NAME]`
//
// Peak RSS and CPU of `mcsync run` under different Node flags, on one workload: N Services × E
// endpoints in cluster a, replicated to b and c, then F readiness flips at 50/s. Every variant
// starts from no replicas (prune first) and runs the same steps, so only the flags differ.
// A variant's flags go after mcsync's own (the CLI shebang's), so they override them;
// `--max-semi-space-size=0` is Node's default young generation. Prints JSON and a short table,
// and writes bench/results/<name>.json.
import { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import { runMcsync, writeConfig } from '../harness/src/mcsync/cli.ts';
import { startController } from '../harness/src/mcsync/controller.ts';
import { Pods } from '../harness/src/workload/pods.ts';
import { processCost } from './lib/measure/measure.ts';
import { createWorkload } from './lib/workload/workload.ts';

const opts = new Command('bench:memory')
  .option('--services <n>', 'Services in the source', (v) => Number(v), 1000)
  .option('--endpoints <n>', 'endpoints per Service', (v) => Number(v), 10)
  .option('--flips <n>', 'readiness flips at 50/s after the initial sync', (v) => Number(v), 600)
  .option('--variants <list>', 'Node flag sets separated by ";" ("" is mcsync as shipped)',
    ';--max-semi-space-size=0;--max-semi-space-size=16;--max-semi-space-size=4')
  .option('--name <name>', 'results file name', 'memory')
  .parse(process.argv)
  .opts<{ services: number; endpoints: number; flips: number; variants: string; name: string }>();

const log = (s: string) => process.stderr.write(`${s}\n`);
const variants = opts.variants.split(';').map((v) => v.trim());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Measure the product as installed: the compiled CLI, not the TypeScript sources.
process.env.MCSYNC_ENTRY = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
const set = await startClusterSet({ names: ['a', 'b', 'c'], onProgress: log });
const rows: { flags: string; rssPeakMB: number; cpuSeconds: number }[] = [];
try {
  await createWorkload(set.get('a'), 'bench', opts.services, opts.endpoints, log);
  const config = writeConfig([
    'controller:', '  writeQps: 1000', '  writeBurst: 1000',
    'clusters:', '- name: a', `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', '  - namespace: bench',
    '- name: b', `  kubeconfig: ${set.get('b').kubeconfigPath}`, '- name: c', `  kubeconfig: ${set.get('c').kubeconfigPath}`, '',
  ].join('\n'));
  const pods = new Pods(set.get('a'));
  const names = (await pods.core.listNamespacedPod({ namespace: 'bench' })).items.map((p) => p.metadata!.name!);
  for (const flags of variants) {
    const pruned = await runMcsync(['prune', '--config', config]);
    if (pruned.code !== 0) throw new Error(`prune failed: ${pruned.stderr}`);
    process.env.MCSYNC_NODE_OPTIONS = flags;
    const ctl = await startController(['--config', config, '--log-level', 'info']);
    await sleep(20_000); // the initial sync of every replica
    for (let i = 0; i < opts.flips; i++) {
      void pods.setReady('bench', names[(i * 7) % names.length]!, i % 2 === 1).catch(() => {});
      await sleep(20);
    }
    await sleep(5_000);
    const cost = processCost(ctl.child.pid!);
    rows.push({ flags: flags || '(as shipped)', ...cost });
    log(`${flags || '(as shipped)'}: peak RSS ${cost.rssPeakMB} MB, CPU ${cost.cpuSeconds} s`);
    await ctl.stop('SIGTERM');
  }
} finally {
  delete process.env.MCSYNC_NODE_OPTIONS;
  await set.down();
}

const shipped = readFileSync(new URL('../src/cli/main.ts', import.meta.url), 'utf8').split('\n', 1)[0];
const result = {
  name: opts.name,
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model },
  command: `npm run bench:memory -- ${process.argv.slice(2).join(' ')}`.trim(),
  settings: { services: opts.services, endpoints: opts.endpoints, flips: opts.flips, shipped },
  variants: rows,
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', `${opts.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n\n`);
process.stdout.write(`${'Node flags'.padEnd(32)} ${'peak RSS (MB)'.padEnd(14)} CPU (s)\n`);
for (const r of rows) process.stdout.write(`${r.flags.padEnd(32)} ${String(r.rssPeakMB).padEnd(14)} ${r.cpuSeconds}\n`);
