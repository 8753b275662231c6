// `npm run bench:dataplane -- [--only replace|failover|floor] [--rounds N] [--failover-rounds N]
//    [--interval MS] [--proxy-mode nftables|iptables] [--name NAME]`
//
// What a client sees on the real flat network (docs/dataplane.md; root only): a client pod in
// cluster b dials a Service afresh every --interval ms while its pods change.
//
// replace (--rounds, default 10): one of the Service's two pods is killed and deleted and a new
// one starts with a new IP. Two scenarios, same client, same clusters, same kube-proxy:
//   remote  the Service lives in cluster a and b reaches it through mcsync run's replica;
//   local   the Service lives in b itself: Kubernetes alone, the floor mcsync adds to.
// Per round: how long after the kill connections kept failing (they land on the dead IP until
// the endpoint is gone from the client's kube-proxy), how many failed, and how long after the new
// pod turned Ready the client first reached it.
//
// failover (--failover-rounds, default 15): the "near" pods the client uses are all deleted, the
// others take over, then the near ones come back (bench/lib/measure/failover.ts measures both
// setups the same way):
//   floor   Kubernetes alone: a plain Service in b with two near and two other pods, all in b;
//   tiers   mcsync's locality tiers (MCS path): web exported from a and b, its ServiceExports
//           annotated with [own cluster, then any]; b's client uses b's pods, a's once b's are gone.
// Per round: the failover window (last answer from a near pod -> first from a far one with no
// failure after it) and the failback (a near pod Ready again -> first answer from one).
// `--only floor` runs the floor alone.
//
// Prints medians, p90 and the ratio of medians (JSON, then a short table per part), and writes
// bench/results/<name>.json.
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
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { CLUSTER_SELECTORS } from '../src/vocab/labels.ts';
import { CLUSTER_ID_PROPERTY, SAME_AS_IMPORTER } from '../src/vocab/cluster-selectors.ts';
import { failoverRounds, type FailoverRound, type FailoverSetup } from './lib/measure/failover.ts';
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
  .option('--only <part>', 'replace, failover (floor and tiers) or floor (the failover floor alone); both parts when absent')
  .option('--rounds <n>', 'pod replacements per scenario', (v) => Number(v), 10)
  .option('--failover-rounds <n>', 'failovers per failover scenario', (v) => Number(v), 15)
  .option('--interval <ms>', 'the client dials every this many ms', (v) => Number(v), 20)
  .option('--proxy-mode <mode>', 'kube-proxy mode: nftables or iptables', 'nftables')
  .option('--name <name>', 'results file name', 'dataplane')
  .parse(process.argv)
  .opts<{ only?: string; rounds: number; failoverRounds: number; interval: number; proxyMode: 'nftables' | 'iptables'; name: string }>();

if (opts.only !== undefined && !['replace', 'failover', 'floor'].includes(opts.only)) {
  process.stderr.write(`--only: expected replace, failover or floor, not ${JSON.stringify(opts.only)}\n`);
  process.exit(2);
}
const runReplace = opts.only === undefined || opts.only === 'replace';
const runFloor = opts.only !== 'replace';
const runTiers = opts.only === undefined || opts.only === 'failover';

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
  return {
    brokenMs: stat(rounds.map((r) => r.brokenMs)),
    failedAttempts: stat(rounds.map((r) => r.failed)),
    newPodMs: stat(rounds.map((r) => r.newPodMs)),
  };
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: median(s), p90: percentile(s, 90), max: s.at(-1)! };
};
const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 100) / 100);
const cell = (x: { median: number; p90: number; max: number } | undefined) => (x ? `${x.median} / ${x.p90} / ${x.max}` : 'not run').padEnd(22);

/** The replace part: a pod of the Service replaced, through mcsync's replica and locally. */
async function replacePart(dp: DataPlane, client: RealPod) {
  const remote = await service(dp, 'a', 'remote');
  const local = await service(dp, 'b', 'local');
  const ctl = await startController(['--config', writeConfig([
    'clusters:',
    '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`, '  services:', '  - namespace: remote',
    '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`, '',
  ].join('\n'))]);
  try {
    await ctl.ready();
    log('remote: the Service in a, reached from b through mcsync run\'s replica');
    const remoteRounds = await replaceRounds(dp, client, 'a', 'remote', remote);
    log('local: the Service in b itself');
    const localRounds = await replaceRounds(dp, client, 'b', 'local', local);
    const r = summary(remoteRounds);
    const l = summary(localRounds);
    const result = {
      remote: { summary: r, rounds: remoteRounds },
      local: { summary: l, rounds: localRounds },
      ratioOfMedians: { brokenMs: ratio(r.brokenMs.median, l.brokenMs.median), newPodMs: ratio(r.newPodMs.median, l.newPodMs.median) },
    };
    const row = (what: string, k: 'brokenMs' | 'failedAttempts' | 'newPodMs') => `${what.padEnd(40)} ${cell(r[k])} ${cell(l[k])}`;
    const table = [
      `${''.padEnd(40)} ${'remote (via mcsync)'.padEnd(22)} ${'local (Kubernetes)'.padEnd(22)}`,
      `${''.padEnd(40)} ${'median / p90 / max'.padEnd(22)} ${'median / p90 / max'.padEnd(22)}`,
      row('kill -> last failed attempt (ms)', 'brokenMs'),
      row(`failed attempts (one every ${opts.interval} ms)`, 'failedAttempts'),
      row('new pod Ready -> first reached (ms)', 'newPodMs'),
      `ratio of medians remote/local: failing ${result.ratioOfMedians.brokenMs ?? 'n/a'}, new pod ${result.ratioOfMedians.newPodMs ?? 'n/a'}`,
    ];
    return { result, table };
  } finally {
    await ctl.stop('SIGTERM');
  }
}

/** Near pods of a Service: started, deleted all at once, started again (the time the first turned Ready). */
function nearPods(dp: DataPlane, cluster: string, namespace: string, names: string[]) {
  let live: RealPod[] = [];
  const start = async () => {
    const readyAt: number[] = [];
    live = await Promise.all(names.map(async (name) => {
      const pod = await dp.runPod(cluster, { namespace, name, labels: { app: 'web' }, ports: [8080] });
      readyAt.push(Date.now());
      return pod;
    }));
    return Math.min(...readyAt);
  };
  const stop = async () => {
    await Promise.all(live.map((p) => dp.stopPod(p)));
    live = [];
  };
  return { start, stop };
}

/** The floor: Kubernetes alone, a plain Service in b whose two near pods go while two others stay. */
async function floorSetup(dp: DataPlane, client: RealPod): Promise<FailoverSetup> {
  const ns = 'floor';
  await dp.namespace('b', ns);
  await kubeConfigFor(dp.cluster('b')).makeApiClient(CoreV1Api).createNamespacedService({
    namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  const near = nearPods(dp, 'b', ns, ['near-0', 'near-1']);
  await near.start();
  for (const name of ['far-0', 'far-1']) await dp.runPod('b', { namespace: ns, name, labels: { app: 'web' }, ports: [8080] });
  return {
    label: 'floor', client, host: `web.${ns}.svc.cluster.local`, port: 80, nearOnly: false,
    isNear: (r) => r.pod.startsWith('near-'), removeNear: near.stop, restoreNear: near.start,
  };
}

/** The tiers: web exported from a and b (MCS), tiers [own cluster, then any]; b's client reaches it by its clusterset name. */
const TIERS = JSON.stringify([{ propertySelector: { matchExpressions: [{ key: CLUSTER_ID_PROPERTY, operator: 'In', values: [SAME_AS_IMPORTER] }] } }]);

async function tiersSetup(dp: DataPlane, client: RealPod): Promise<FailoverSetup> {
  const ns = 'tiers';
  let near: ReturnType<typeof nearPods> | undefined;
  for (const c of ['a', 'b']) {
    await dp.namespace(c, ns);
    await kubeConfigFor(dp.cluster(c)).makeApiClient(CoreV1Api).createNamespacedService({
      namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    const pods = nearPods(dp, c, ns, [`web-${c}-0`, `web-${c}-1`]);
    await pods.start();
    if (c === 'b') near = pods;
    await KubernetesObjectApi.makeApiClient(kubeConfigFor(dp.cluster(c))).create({
      apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { namespace: ns, name: 'web', annotations: { [CLUSTER_SELECTORS]: TIERS } },
    });
  }
  return {
    label: 'tiers', client, host: `web.${ns}.svc.clusterset.local`, port: 80, nearOnly: true,
    isNear: (r) => r.cluster === 'b', removeNear: near!.stop, restoreNear: near!.start,
  };
}

function failoverSummary(rounds: FailoverRound[]) {
  return { windowMs: stat(rounds.map((r) => r.windowMs)), failedAttempts: stat(rounds.map((r) => r.failed)), failbackMs: stat(rounds.map((r) => r.failbackMs)) };
}

/** The failover part: the floor, then (unless --only floor) mcsync's tiers, measured alike. */
async function failoverPart(dp: DataPlane, client: RealPod) {
  const measure = { rounds: opts.failoverRounds, intervalMs: opts.interval, log };
  log('failover floor: a plain Service in b, its near pods deleted while two others stay (Kubernetes alone)');
  const floorRounds = await failoverRounds(dp, await floorSetup(dp, client), measure);
  const f = failoverSummary(floorRounds);
  let tiers: { summary: ReturnType<typeof failoverSummary>; rounds: FailoverRound[] } | undefined;
  if (runTiers) {
    const setup = await tiersSetup(dp, client);
    const ctl = await startController(['--config', writeConfig([
      'instance: tiers', 'mcs: true', 'clusters:',
      '- name: a', `  kubeconfig: ${dp.cluster('a').kubeconfigPath}`,
      '- name: b', `  kubeconfig: ${dp.cluster('b').kubeconfigPath}`, '',
    ].join('\n'))]);
    try {
      await ctl.ready();
      log('failover tiers: web exported from a and b, tiers [own cluster, then any]; b\'s own pods deleted');
      const rounds = await failoverRounds(dp, setup, measure);
      tiers = { summary: failoverSummary(rounds), rounds };
    } finally {
      await ctl.stop('SIGTERM');
    }
  }
  const t = tiers?.summary;
  const result = {
    floor: { summary: f, rounds: floorRounds },
    ...(tiers ? { tiers, ratioOfMedians: { windowMs: ratio(tiers.summary.windowMs.median, f.windowMs.median), failbackMs: ratio(tiers.summary.failbackMs.median, f.failbackMs.median) } } : {}),
  };
  const row = (what: string, k: 'windowMs' | 'failedAttempts' | 'failbackMs') => `${what.padEnd(40)} ${cell(t?.[k])} ${cell(f[k])}`;
  const table = [
    `${''.padEnd(40)} ${'tiers (via mcsync)'.padEnd(22)} ${'floor (Kubernetes)'.padEnd(22)}`,
    `${''.padEnd(40)} ${'median / p90 / max'.padEnd(22)} ${'median / p90 / max'.padEnd(22)}`,
    row('failover window (ms)', 'windowMs'),
    row(`failed attempts (one every ${opts.interval} ms)`, 'failedAttempts'),
    row('near pod Ready -> first answer (ms)', 'failbackMs'),
    ...(result.ratioOfMedians ? [`ratio of medians tiers/floor: failover ${result.ratioOfMedians.windowMs ?? 'n/a'}, failback ${result.ratioOfMedians.failbackMs ?? 'n/a'}`] : []),
  ];
  return { result, table };
}

// MCS CRDs and clusterset.local for the tiers; every Node keeps its own zone (<cluster>-zone-a),
// which tiers need of the importing cluster's Nodes.
const dp = await startDataPlane({ names: ['a', 'b'], proxyMode: opts.proxyMode, mcs: runTiers, onProgress: log });
try {
  const client = await dp.runPod('b', { namespace: 'client', name: 'client-0', ports: [9000] });
  const replace = runReplace ? await replacePart(dp, client) : undefined;
  const failover = runFloor ? await failoverPart(dp, client) : undefined;
  const result = {
    name: opts.name,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model },
    settings: { rounds: opts.rounds, failoverRounds: opts.failoverRounds, intervalMs: opts.interval, proxyMode: opts.proxyMode, only: opts.only ?? 'all' },
    ...(replace?.result ?? {}),
    ...(failover ? { failover: failover.result } : {}),
  };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', `${opts.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n\n`);
  process.stdout.write([...(replace ? [...replace.table, ''] : []), ...(failover ? [...failover.table, ''] : [])].join('\n'));
} finally {
  await dp.down();
}
