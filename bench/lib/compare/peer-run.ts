// One environment of the peer comparison: fresh clusters (a provider and N consumers), one tool
// (mcsync or Karmada) in one mode (push: one mcsync process, Karmada's controller-manager dialling
// every member; pull: one mcsync per consumer, a karmada-agent in every member) replicating
// S Services x E endpoints from the provider into the consumers,
// and the figures bench/peers.ts puts side by side — initial sync, propagation under churn at
// each rate, write requests per change at every apiserver involved, CPU and peak RSS summed
// over the tool's processes. Every figure is read from the apiservers, watchers or /proc.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusterSet } from '../../../harness/src/controlplane/clusterset.ts';
import type { ClusterInfo } from '../../../harness/src/controlplane/cluster.ts';
import { startKarmada, type RunningKarmada } from '../../../harness/src/karmada/controlplane.ts';
import { joinPull, joinPush } from '../../../harness/src/karmada/join.ts';
import { DISPATCHED_SLICES, exportCrossCluster } from '../../../harness/src/karmada/mcs.ts';
import { requestCounts, WRITE_VERBS } from '../../../harness/src/observe/metrics.ts';
import { writeConfig } from '../../../harness/src/mcsync/cli.ts';
import { startController, type RunningController } from '../../../harness/src/mcsync/controller.ts';
import { yamlString } from '../../../harness/src/util/yaml-text.ts';
import { waitFor } from '../../../harness/src/util/wait.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { round } from './baseline.ts';
import type { Mode } from './peer-modes.ts';
import { churn } from '../workload/churn.ts';
import { percentile, processCost } from '../measure/measure.ts';
import { createWorkload } from '../workload/workload.ts';

export type Tool = 'mcsync' | 'karmada';

export interface PeerRunOptions {
  tool: Tool;
  mode: Mode;
  consumers: number;
  services: number;
  endpoints: number;
  rates: number[];
  churnSeconds: number;
  /** Client budget per cluster, the same for both tools. */
  qps: number;
  burst: number;
}

const NS = 'bench';
const INSTANCE = 'bench';
const MCSYNC_SLICES = `mcsync.io/instance=${INSTANCE}`;

interface Writes {
  /** All write requests the apiserver counted, by resource (resource/subresource). */
  byResource: Record<string, number>;
  total: number;
}

async function writesAt(c: ClusterInfo): Promise<Writes> {
  const byResource: Record<string, number> = {};
  for (const x of await requestCounts(c)) {
    if (!WRITE_VERBS.includes(x.verb)) continue;
    const key = x.subresource ? `${x.resource}/${x.subresource}` : x.resource;
    byResource[key] = (byResource[key] ?? 0) + x.value;
  }
  return { byResource, total: Object.values(byResource).reduce((s, v) => s + v, 0) };
}

function writesDelta(a: Writes, b: Writes): Writes {
  const byResource: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byResource)) if (v - (a.byResource[k] ?? 0) > 0) byResource[k] = v - (a.byResource[k] ?? 0);
  return { byResource, total: b.total - a.total };
}

/** Ready endpoints the tool's slices hold in a consumer. */
async function readyEndpoints(c: ClusterInfo, selector: string): Promise<number> {
  const client = KubeClient.fromFile(`${c.name}-count`, c.kubeconfigPath);
  try {
    const list = await client.list<{ endpoints?: { conditions?: { ready?: boolean } }[] }>(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, { labelSelector: selector });
    return list.items.reduce((n, s) => n + (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length, 0);
  } catch {
    return 0;
  } finally {
    client.close();
  }
}

/** Waits until the consumers' slice writes stop changing for a few seconds (or 60 s pass). */
async function settle(consumers: ClusterInfo[]): Promise<void> {
  let last = '';
  let stableSince = performance.now();
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const now = JSON.stringify(await Promise.all(consumers.map(async (c) => (await writesAt(c)).byResource.endpointslices ?? 0)));
    if (now !== last) {
      last = now;
      stableSince = performance.now();
    } else if (performance.now() - stableSince >= 3000) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const dist = (xs: number[]) => ({ n: xs.length, p50: round(percentile(xs, 50), 1), p90: round(percentile(xs, 90), 1), p99: round(percentile(xs, 99), 1), max: round(xs.at(-1) ?? NaN, 1) });

interface Cost {
  cpuSeconds: number;
  rssPeakMB: number;
  processes: { name: string; cpuSeconds: number; rssPeakMB: number }[];
}

function costOf(procs: { name: string; pid: number }[], cpuBefore: Map<number, number> = new Map()): Cost {
  const processes = procs.map((p) => {
    const c = processCost(p.pid);
    return { name: p.name, cpuSeconds: round(c.cpuSeconds - (cpuBefore.get(p.pid) ?? 0), 2), rssPeakMB: c.rssPeakMB };
  });
  return { cpuSeconds: round(processes.reduce((s, p) => s + p.cpuSeconds, 0), 2), rssPeakMB: processes.reduce((s, p) => s + p.rssPeakMB, 0), processes };
}

export async function peerRun(o: PeerRunOptions, say: (s: string) => void): Promise<Record<string, unknown>> {
  const names = ['a', ...Array.from({ length: o.consumers }, (_, i) => String.fromCharCode(98 + i))];
  const dir = mkdtempSync(join(tmpdir(), 'mcsync-peers-'));
  const set = await startClusterSet({ names, onProgress: say });
  let karmada: RunningKarmada | undefined;
  const controllers: RunningController[] = [];
  const result: Record<string, unknown> = { tool: o.tool, mode: o.mode, consumers: o.consumers };
  try {
    const [provider, ...consumers] = set.clusters as [ClusterInfo, ...ClusterInfo[]];
    if (o.tool === 'karmada') {
      const t = performance.now();
      karmada = await startKarmada({ dir, budget: { qps: o.qps, burst: o.burst }, onProgress: say });
      const tUp = performance.now();
      // Pull: the provider needs an agent too, to collect its EndpointSlices into Works.
      const join = o.mode === 'push' ? joinPush : joinPull;
      for (const c of set.clusters) await join(karmada, c);
      result.setup = { controlPlaneSeconds: round((tUp - t) / 1000), joinSeconds: round((performance.now() - tUp) / 1000), commandLines: karmada.commandLines };
    }
    say(`workload: ${o.services} services x ${o.endpoints} endpoints in ${provider.name}/${NS}`);
    const wl = await createWorkload(provider, NS, o.services, o.endpoints, say);
    const apiservers: ClusterInfo[] = [...set.clusters, ...(karmada ? [karmada.controlPlane] : [])];
    const selector = o.tool === 'karmada' ? DISPATCHED_SLICES : MCSYNC_SLICES;
    const want = o.services * o.endpoints;

    // CPU is counted from here: Karmada's start-up and joins are its fixed cost, not the sync's.
    const karmadaProcs = () => karmada ? karmada.processes.map((p) => ({ name: p.name, pid: p.pid })) : [];
    const controlPlaneProcs = () => karmada ? karmada.controlPlane.processes.map((p) => ({ name: p.name, pid: p.pid })) : [];
    const cpuBefore = new Map([...karmadaProcs(), ...controlPlaneProcs()].map((p) => [p.pid, processCost(p.pid).cpuSeconds]));

    say(`${o.tool}: initial sync into ${consumers.map((c) => c.name).join(', ')}`);
    const w0 = await Promise.all(apiservers.map(writesAt));
    const t0 = performance.now();
    if (o.tool === 'mcsync') {
      const cfg = writeConfig([
        `instance: ${INSTANCE}`, 'concurrency: 16', 'controller:', `  writeQps: ${o.qps}`, `  writeBurst: ${o.burst}`, '  resyncInterval: 10m', 'clusters:',
        `- name: ${yamlString(provider.name)}`, `  kubeconfig: ${yamlString(provider.kubeconfigPath)}`, '  services:', `  - namespace: ${NS}`,
        ...consumers.flatMap((c) => [`- name: ${yamlString(c.name)}`, `  kubeconfig: ${yamlString(c.kubeconfigPath)}`]),
      ].join('\n') + '\n');
      const args = ['--config', cfg, '--log-level', 'info'];
      // Pull: one controller per consumer, each writing only into its own cluster (the provider
      // receives nothing, so it runs none).
      controllers.push(...(o.mode === 'push' ? [await startController(args)] : await Promise.all(consumers.map((c) => startController([...args, '--local-cluster', c.name])))));
    } else {
      await exportCrossCluster(karmada!, NS, wl.services.map((name) => ({ name, selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] })), provider.name, consumers.map((c) => c.name));
    }
    const perConsumer: Record<string, number> = {};
    await Promise.all(consumers.map(async (c) => {
      await waitFor(async () => (await readyEndpoints(c, selector)) >= want, { what: `${want} ready endpoints in ${c.name}`, timeoutMs: 900_000, intervalMs: 100 });
      perConsumer[c.name] = round((performance.now() - t0) / 1000);
    }));
    const syncSeconds = (performance.now() - t0) / 1000;
    await settle(consumers);
    const w1 = await Promise.all(apiservers.map(writesAt));
    result.initialSync = {
      seconds: round(syncSeconds), perConsumerSeconds: perConsumer,
      writes: Object.fromEntries(apiservers.map((c, i) => [c.name, writesDelta(w0[i]!, w1[i]!)])),
    };

    const churns: Record<string, unknown>[] = [];
    for (const rate of o.rates) {
      say(`${o.tool}: churn at ${rate}/s for ${o.churnSeconds}s`);
      await settle(consumers);
      const c0 = await Promise.all(apiservers.map(writesAt));
      const ch = await churn(provider, consumers, NS, INSTANCE, wl.pods, rate, o.churnSeconds, { destSelector: selector });
      await settle(consumers);
      const c1 = await Promise.all(apiservers.map(writesAt));
      const deltas = apiservers.map((c, i) => [c.name, writesDelta(c0[i]!, c1[i]!)] as const);
      churns.push({
        rate, flips: ch.flips, achievedRate: ch.achievedRate, missed: ch.missed,
        latencyMs: Object.fromEntries(Object.entries(ch.latenciesMs).map(([d, xs]) => [d, dist(xs)])),
        toolShareMs: Object.fromEntries(Object.entries(ch.mcsyncLatenciesMs).map(([d, xs]) => [d, dist(xs)])),
        providerSliceMs: dist(ch.sourceLatenciesMs),
        // The flips themselves are pod status writes in the provider; the rest is what each apiserver took to carry them.
        writesPerChange: Object.fromEntries(deltas.map(([n, w]) => [n, round((w.total - (w.byResource['pods/status'] ?? 0)) / ch.flips, 3)])),
        writes: Object.fromEntries(deltas),
      });
    }
    result.churn = churns;
    const mcsyncProcs = () => controllers.map((c, i) => ({ name: o.mode === 'push' ? 'mcsync run' : `mcsync run --local-cluster ${consumers[i]!.name}`, pid: c.child.pid! }));
    const tool = o.tool === 'mcsync' ? costOf(mcsyncProcs()) : costOf(karmadaProcs(), cpuBefore);
    result.cost = { tool, ...(karmada ? { karmadaApiserver: costOf(controlPlaneProcs(), cpuBefore) } : {}) };
  } finally {
    await Promise.all(controllers.map((c) => c.stop()));
    await karmada?.down();
    await set.down();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
