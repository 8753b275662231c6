// Propagation latency under churn: flip pods' readiness in the source at a steady rate and time
// each flip from the moment its status write is sent to the moment a watcher on each destination
// sees the replica slice carry the new readiness for that pod's address.
import type { ClusterInfo } from '../../../harness/src/controlplane/cluster.ts';
import { waitFor } from '../../../harness/src/util/wait.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { Reflector } from '../../../src/kube/reflector.ts';
import { Store } from '../../../src/kube/store.ts';
import type { EndpointSlice } from '../../../src/vocab/objects.ts';
import { cmp } from '../../../src/model/canonical.ts';

export interface ChurnResult {
  flips: number;
  seconds: number;
  achievedRate: number;
  /** Per destination: from the pod status write to the replica slice showing it, in ms, sorted. */
  latenciesMs: Record<string, number[]>;
  /** Per destination: from the source slice showing the flip to the replica showing it — mcsync's share. */
  mcsyncLatenciesMs: Record<string, number[]>;
  /** From the pod status write to the source's own slice showing it (the source controller-manager's share). */
  sourceLatenciesMs: number[];
  /** Per flip seen in the source and in every destination: source slice seen → the last destination's replica seen, in ms, sorted. */
  lastDestinationShareMs: number[];
  /** Updates of the source's slices during the churn: the changes mcsync had to carry. */
  sourceSliceUpdates: number;
  missed: number;
}

interface Pending {
  expect: boolean;
  t0: number;
}

/** Watches the given clusters' slices and times when each pending flip shows up in each. */
export async function watchSlices(dests: { cluster: ClusterInfo; labelSelector: string }[], namespace: string) {
  const pending = new Map<string, Map<string, Pending>>(dests.map((d) => [d.cluster.name, new Map()]));
  const latencies = new Map<string, number[]>(dests.map((d) => [d.cluster.name, []]));
  const events = new Map<string, number>(dests.map((d) => [d.cluster.name, 0]));
  /** When each flip (ip + expected state) was first seen, per cluster. */
  const seenAt = new Map<string, Map<string, number>>(dests.map((d) => [d.cluster.name, new Map()]));
  const clients: KubeClient[] = [];
  const reflectors = dests.map(({ cluster: d, labelSelector }) => {
    const client = KubeClient.fromFile(`${d.name}-bench`, d.kubeconfigPath);
    clients.push(client);
    const mine = pending.get(d.name)!;
    const seen = seenAt.get(d.name)!;
    return new Reflector<EndpointSlice>({
      listerWatcher: client, store: new Store<EndpointSlice>(), path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, labelSelector,
      watchTimeoutSeconds: 300,
      onEvent: (e) => {
        if (e.type === 'modified') events.set(d.name, events.get(d.name)! + 1);
        if (e.type === 'deleted' || mine.size === 0) return;
        const now = performance.now();
        for (const ep of e.object.endpoints ?? []) {
          const ip = ep.addresses[0]!;
          const p = mine.get(ip);
          if (p && (ep.conditions?.ready !== false) === p.expect) {
            latencies.get(d.name)!.push(now - p.t0);
            seen.set(`${ip}|${p.t0}`, now);
            mine.delete(ip);
          }
        }
      },
    });
  });
  for (const r of reflectors) r.start();
  await Promise.all(reflectors.map((r) => r.whenSynced()));
  return {
    pending,
    latencies,
    seenAt,
    events,
    async stop() {
      await Promise.all(reflectors.map((r) => r.stop()));
      for (const c of clients) c.close();
    },
  };
}

/**
 * One small request per flip — a merge patch of the pod's conditions on the status subresource —
 * so the load generator takes as little as possible of the machine it shares with the clusters.
 */
function flipper(source: ClusterInfo, namespace: string) {
  const client = KubeClient.fromFile(`${source.name}-churn`, source.kubeconfigPath, undefined, { maxSockets: 32 });
  return {
    flip: (name: string, ready: boolean) => {
      const status = ready ? 'True' : 'False';
      const now = new Date().toISOString();
      const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
        type, status: type === 'PodScheduled' || type === 'Initialized' ? 'True' : status, lastTransitionTime: now,
      }));
      return client.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { body: { status: { conditions } }, contentType: 'application/merge-patch+json' });
    },
    close: () => client.close(),
  };
}

export interface ChurnOptions {
  /** Where in the flip order to start. */
  firstPod?: number;
  /**
   * Each pod's readiness as the churn starts, kept current as it flips: pass the same map to
   * consecutive churns on the same pods, or the second would "flip" pods to the state they are
   * already in, which changes nothing.
   */
  ready?: Map<string, boolean>;
  /** Picks the replica slices in each destination: mcsync's by default, another tool's when comparing. */
  destSelector?: string;
}

export async function churn(source: ClusterInfo, dests: ClusterInfo[], namespace: string, instance: string, pods: Map<string, string>, rate: number, seconds: number, opts: ChurnOptions = {}): Promise<ChurnResult> {
  const firstPod = opts.firstPod ?? 0;
  const ready = opts.ready ?? new Map([...pods.keys()].map((n) => [n, true]));
  const destSelector = opts.destSelector ?? `mcsync.io/instance=${instance}`;
  const helper = flipper(source, namespace);
  const watch = await watchSlices([
    { cluster: source, labelSelector: 'endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io' },
    ...dests.map((d) => ({ cluster: d, labelSelector: destSelector })),
  ], namespace);
  // Consecutive flips go to different Services (svc-0-0, svc-1-0, …), so each change is its own
  // reconcile rather than several coalescing into one write.
  const names = [...pods.keys()].sort((a, b) => {
    const [, sa, ia] = /^(.*)-(\d+)$/.exec(a)!;
    const [, sb, ib] = /^(.*)-(\d+)$/.exec(b)!;
    return Number(ia) - Number(ib) || cmp(sa!, sb!);
  });
  const total = Math.round(rate * seconds);
  const inFlight = new Set<Promise<void>>();
  const busy = new Set<string>();
  const flips: { ip: string; t0: number }[] = [];
  let cursor = firstPod;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Never flip a pod whose previous flip is still on its way: its two changes would blur.
    let name = names[cursor++ % names.length]!;
    while (busy.has(name) || [...watch.pending.values()].some((m) => m.has(pods.get(name)!))) name = names[cursor++ % names.length]!;
    const ip = pods.get(name)!;
    const expect = !ready.get(name);
    ready.set(name, expect);
    busy.add(name);
    const t0 = performance.now();
    flips.push({ ip, t0 });
    for (const m of watch.pending.values()) m.set(ip, { expect, t0 });
    const p = helper.flip(name, expect).then(() => undefined, () => undefined).finally(() => {
      busy.delete(name);
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= 32) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  helper.close();
  const elapsed = (performance.now() - started) / 1000;
  await waitFor(async () => [...watch.pending.values()].every((m) => m.size === 0), { what: 'every flip to arrive', timeoutMs: 60_000 }).catch(() => undefined);
  const missed = [...watch.pending.entries()].filter(([c]) => c !== source.name).reduce((s, [, m]) => s + m.size, 0);
  await watch.stop();
  const sourceSeen = watch.seenAt.get(source.name)!;
  const mcsyncShare = (d: string) => flips.flatMap(({ ip, t0 }) => {
    const src = sourceSeen.get(`${ip}|${t0}`);
    const dst = watch.seenAt.get(d)!.get(`${ip}|${t0}`);
    return src !== undefined && dst !== undefined ? [dst - src] : [];
  }).sort((a, b) => a - b);
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const lastDestinationShare = flips.flatMap(({ ip, t0 }) => {
    const src = sourceSeen.get(`${ip}|${t0}`);
    const dst = dests.map((d) => watch.seenAt.get(d.name)!.get(`${ip}|${t0}`));
    return src !== undefined && dst.every((x) => x !== undefined) ? [Math.max(...(dst as number[])) - src] : [];
  });
  return {
    flips: total,
    seconds: Math.round(elapsed * 100) / 100,
    achievedRate: Math.round((total / elapsed) * 10) / 10,
    latenciesMs: Object.fromEntries(dests.map((d) => [d.name, sorted(watch.latencies.get(d.name)!)])),
    mcsyncLatenciesMs: Object.fromEntries(dests.map((d) => [d.name, mcsyncShare(d.name)])),
    sourceLatenciesMs: sorted(watch.latencies.get(source.name)!),
    lastDestinationShareMs: sorted(lastDestinationShare),
    sourceSliceUpdates: watch.events.get(source.name)!,
    missed,
  };
}
