// `npm run bench:dataplane -- [--rounds N] [--interval MS] [--proxy-mode nftables|iptables] [--name NAME]`
//
// What a client sees when a pod behind a Service is replaced, on the real flat network
// (docs/dataplane.md; root only): a client pod in cluster b dials the Service afresh every
// --interval ms while one of its two pods is killed and deleted and a new one starts with a new
// IP. Two scenarios, same client, same clusters, same kube-proxy:
//   remote  the Service lives in cluster a and b reaches it through mcsync run's replica;
//   local   the Service lives in b itself: Kubernetes alone, the floor mcsync adds to.
// Per round: how long after the kill connections kept failing (they land on the dead IP until
// the endpoint is gone from the client's kube-proxy), how many failed, and how long after the new
// pod turned Ready the client first reached it. Prints medians, p90 and the remote/local ratio
// of medians (JSON, then a short table), and writes bench/results/<name>.json.
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { dataPlaneUnsupported } from '../harness/src/dataplane/command.ts';
import { startDataPlane, type DataPlane, type RealPod } from '../harness/src/dataplane/dataplane.ts';
import { writeConfig } from '../harness/src/mcsync/cli.ts';
import { startController } from '../harness/src/mcsync/controller.ts';
import { kubeConfigFor } from '../harness/src/workload/pods.ts';
import { waitFor } from '../harness/src/util/wait.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import { median, percentile } from './lib/measure/measure.ts';

interface Round {
  /** Kill → end of the last failed attempt (0: none failed). */
  brokenMs: number;
  failed: number;
  attempts: number;
  /** New pod Ready → first attempt it answered. */
  newPodMs: number;
}

const opts = new Command('bench:dataplane')
  .option('--rounds <n>', 'pod replacements per scenario', (v) => Number(v), 10)
  .option('--interval <ms>', 'the client dials every this many ms', (v) => Number(v), 20)
  .option('--proxy-mode <mode>', 'kube-proxy mode: nftables or iptables', 'nftables')
  .option('--name <name>', 'results file name', 'dataplane')
  .parse(process.argv)
  .opts<{ rounds: number; interval: number; proxyMode: 'nftables' | 'iptables'; name: string }>();

const unsupported = dataPlaneUnsupported();
if (unsupported) {
  process.stderr.write(`bench:dataplane cannot run here: ${unsupported}\n`);
  process.exit(1);
}
const log = (s: string) => process.stderr.write(`${s}\n`);

async function service(dp: DataPlane, cluster: string, namespace: string): Promise<RealPod[]> {
  await dp.namespace(cluster, namespace);
  await kubeConfigFor(dp.cluster(cluster)).makeApiClient(CoreV1Api).createNamespacedService({
    namespace, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  return [await webPod(dp, cluster, namespace, 0), await webPod(dp, cluster, namespace, 1)];
}

const webPod = (dp: DataPlane, cluster: string, namespace: string, n: number) =>
  dp.runPod(cluster, { namespace, name: `web-${n}`, labels: { app: 'web' }, ports: [8080] });

async function replaceRounds(dp: DataPlane, client: RealPod, cluster: string, namespace: string, live: RealPod[]): Promise<Round[]> {
  const host = `web.${namespace}.svc.cluster.local`;
  const rounds: Round[] = [];
  await waitFor(async () => (await dp.get(client, host, 80, 10)).every((a) => a.reply), { what: `${host} reachable`, timeoutMs: 60_000 });
  for (let i = 0; i < opts.rounds; i++) {
    const victim = live.shift()!;
    const watcher = dp.watch(client, host, 80, opts.interval);
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await dp.stopPod(victim);
    const fresh = await webPod(dp, cluster, namespace, i + 2);
    const readyAt = Date.now();
    live.push(fresh);
    await waitFor(async () => {
      const after = watcher.attempts.filter((a) => a.t >= killedAt);
      const reached = after.some((a) => a.reply?.pod === fresh.name);
      const last = after.filter((a) => a.error).pop();
      return reached && (!last || Date.now() - (last.t + last.ms) > 1_500) ? true : undefined;
    }, { what: `round ${i + 1} to settle`, timeoutMs: 60_000, intervalMs: 50 });
    await watcher.stop();
    const after = watcher.attempts.filter((a) => a.t >= killedAt);
    const failed = after.filter((a) => a.error);
    const lastFail = failed.at(-1);
    const firstNew = after.find((a) => a.reply?.pod === fresh.name)!;
    const round = {
      brokenMs: lastFail ? lastFail.t + lastFail.ms - killedAt : 0,
      failed: failed.length,
      attempts: after.length,
      newPodMs: Math.max(0, firstNew.t - readyAt),
    };
    log(`  ${namespace} round ${i + 1}: failing for ${round.brokenMs} ms (${round.failed}/${round.attempts} attempts), new pod reached ${round.newPodMs} ms after Ready`);
    rounds.push(round);
  }
  return rounds;
}

function summary(rounds: Round[]) {
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: median(s), p90: percentile(s, 90), max: s.at(-1)! };
  };
  return {
    brokenMs: stat(rounds.map((r) => r.brokenMs)),
    failedAttempts: stat(rounds.map((r) => r.failed)),
    newPodMs: stat(rounds.map((r) => r.newPodMs)),
  };
}

const dp = await startDataPlane({ names: ['a', 'b'], proxyMode: opts.proxyMode, onProgress: log });
let ctl: Awaited<ReturnType<typeof startController>> | undefined;
try {
  const remote = await service(dp, 'a', 'remote');
  const local = await service(dp, 'b', 'local');
  const client = await dp.runPod('b', { namespace: 'client', name: 'client-0', ports: [9000] });
  ctl = await startController(['--config', writeConfig([
    'clusters:',
    '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`, '  services:', '  - namespace: remote',
    '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`, '',
  ].join('\n'))]);
  await ctl.ready();
  log('remote: the Service in a, reached from b through mcsync run\'s replica');
  const remoteRounds = await replaceRounds(dp, client, 'a', 'remote', remote);
  log('local: the Service in b itself');
  const localRounds = await replaceRounds(dp, client, 'b', 'local', local);
  const r = summary(remoteRounds);
  const l = summary(localRounds);
  const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 100) / 100);
  const result = {
    name: opts.name,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model },
    settings: { rounds: opts.rounds, intervalMs: opts.interval, proxyMode: opts.proxyMode },
    remote: { summary: r, rounds: remoteRounds },
    local: { summary: l, rounds: localRounds },
    ratioOfMedians: { brokenMs: ratio(r.brokenMs.median, l.brokenMs.median), newPodMs: ratio(r.newPodMs.median, l.newPodMs.median) },
  };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', `${opts.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n\n`);
  const row = (what: string, k: 'brokenMs' | 'failedAttempts' | 'newPodMs') =>
    `${what.padEnd(40)} ${`${r[k].median} / ${r[k].p90} / ${r[k].max}`.padEnd(22)} ${`${l[k].median} / ${l[k].p90} / ${l[k].max}`.padEnd(22)}`;
  process.stdout.write([
    `${''.padEnd(40)} ${'remote (via mcsync)'.padEnd(22)} ${'local (Kubernetes)'.padEnd(22)}`,
    `${''.padEnd(40)} ${'median / p90 / max'.padEnd(22)} ${'median / p90 / max'.padEnd(22)}`,
    row('kill -> last failed attempt (ms)', 'brokenMs'),
    row(`failed attempts (one every ${opts.interval} ms)`, 'failedAttempts'),
    row('new pod Ready -> first reached (ms)', 'newPodMs'),
    `ratio of medians remote/local: failing ${result.ratioOfMedians.brokenMs ?? 'n/a'}, new pod ${result.ratioOfMedians.newPodMs ?? 'n/a'}`,
    '',
  ].join('\n'));
} finally {
  await ctl?.stop('SIGTERM');
  await dp.down();
}
