// `npm run bench:isolation`: one bad destination must not slow the others. Three harness
// clusters, a exporting S Services to b and c under `mcsync run`; readiness flips in a at a
// steady rate, timed to b, first with c healthy, then with c's kube-apiserver SIGSTOPped (its
// connections hang, nothing is refused). Prints JSON and a table, writes
// bench/results/isolation-<rate>.json. ISOLATION_SERVICES (40), ISOLATION_ENDPOINTS (5),
// ISOLATION_RATE (10 changes/s), ISOLATION_SECONDS (20). Nothing here passes or fails.
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import { startController } from '../harness/src/mcsync/controller.ts';
import { writeConfig } from '../harness/src/mcsync/cli.ts';
import { waitFor } from '../harness/src/util/wait.ts';
import { yamlString } from '../harness/src/util/yaml-text.ts';
import { churn } from './lib/workload/churn.ts';
import { percentile } from './lib/measure/measure.ts';
import { createWorkload } from './lib/workload/workload.ts';

const num = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const SERVICES = num('ISOLATION_SERVICES', 40);
const ENDPOINTS = num('ISOLATION_ENDPOINTS', 5);
const RATE = num('ISOLATION_RATE', 10);
const SECONDS = num('ISOLATION_SECONDS', 20);
const NS = 'isolation';
const INSTANCE = 'isolation';
const say = (s: string) => process.stderr.write(`${s}\n`);

const set = await startClusterSet({ names: ['a', 'b', 'c'], onProgress: say });
try {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => set.get(n));
  say(`workload: ${SERVICES} Services x ${ENDPOINTS} endpoints in a`);
  const w = await createWorkload(a!, NS, SERVICES, ENDPOINTS, say);
  const cfg = writeConfig([
    `instance: ${INSTANCE}`, 'controller:', '  watchTimeout: 5s', 'clusters:',
    `- name: a`, `  kubeconfig: ${yamlString(a!.kubeconfigPath)}`, '  services:', `  - namespace: ${NS}`,
    `- name: b`, `  kubeconfig: ${yamlString(b!.kubeconfigPath)}`,
    `- name: c`, `  kubeconfig: ${yamlString(c!.kubeconfigPath)}`,
  ].join('\n') + '\n');
  const ctl = await startController(['--config', cfg, '--log-level', 'info']);
  await ctl.ready();
  const replicas = async (cluster: string) => {
    const line = (await ctl.get('/metrics')).text.split('\n')
      .find((l) => l.startsWith('mcsync_managed_objects{') && l.includes(`cluster="${cluster}"`) && l.includes('kind="Service"'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  await waitFor(async () => (await replicas('b')) >= SERVICES && (await replicas('c')) >= SERVICES, { what: 'replicas in b and c', timeoutMs: 300_000 });
  say(`churn ${RATE}/s for ${SECONDS}s, c healthy`);
  const ready = new Map([...w.pods.keys()].map((n) => [n, true]));
  const healthy = await churn(a!, [b!], NS, INSTANCE, w.pods, RATE, SECONDS, { ready });
  const pid = set.running.find((x) => x.name === 'c')!.processes.find((p) => p.name.includes('apiserver'))!.pid;
  const logsBefore = ctl.logs.length;
  process.kill(pid, 'SIGSTOP');
  let hung;
  try {
    say(`churn ${RATE}/s for ${SECONDS}s, c's kube-apiserver SIGSTOPped`);
    hung = await churn(a!, [b!], NS, INSTANCE, w.pods, RATE, SECONDS, { ready });
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const during = ctl.logs.slice(logsBefore);
  say(`during the hang: ${hung.sourceLatenciesMs.length} flips seen in a's slices; controller wrote ${during.filter((l) => l.msg === 'replica changed' && l.cluster === 'b').length} time(s) to b, ${during.filter((l) => l.msg === 'replica changed' && l.cluster === 'c').length} to c; ${during.filter((l) => l.msg === 'write failed').length} failed write(s)`);
  if (hung.missed > 0) {
    // Say what the controller did meanwhile, so a miss names its cause.
    for (const l of ctl.logs.filter((x) => Number(x.level) >= 40).slice(-15)) say(`controller: ${JSON.stringify(l)}`);
  }
  await ctl.stop('SIGTERM');
  const stats = (xs: number[]) => ({ n: xs.length, p50: Math.round(percentile(xs, 50)), p90: Math.round(percentile(xs, 90)), p99: Math.round(percentile(xs, 99)), max: Math.round(xs.at(-1) ?? NaN) });
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) },
    workload: { services: SERVICES, endpoints: ENDPOINTS, rate: RATE, seconds: SECONDS },
    toB: {
      cHealthy: { endToEnd: stats(healthy.latenciesMs.b ?? []), mcsync: stats(healthy.mcsyncLatenciesMs.b ?? []), missed: healthy.missed },
      cHung: { endToEnd: stats(hung.latenciesMs.b ?? []), mcsync: stats(hung.mcsyncLatenciesMs.b ?? []), missed: hung.missed },
    },
  };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', `isolation-${RATE}.json`), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  const row = (name: string, s: ReturnType<typeof stats>) => `${name.padEnd(28)} ${String(s.n).padStart(5)} ${String(s.p50).padStart(6)} ${String(s.p90).padStart(6)} ${String(s.p99).padStart(6)} ${String(s.max).padStart(6)}`;
  console.log(`\n${'a -> b propagation (ms)'.padEnd(28)}     n    p50    p90    p99    max`);
  console.log(row('c healthy, end to end', result.toB.cHealthy.endToEnd));
  console.log(row('c healthy, mcsync share', result.toB.cHealthy.mcsync));
  console.log(row('c hung, end to end', result.toB.cHung.endToEnd));
  console.log(row('c hung, mcsync share', result.toB.cHung.mcsync));
} finally {
  await set.down();
}
