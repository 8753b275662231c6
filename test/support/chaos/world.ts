// The chaos world: three harness clusters, a source (a) exporting one namespace of services
// with pods, two destinations (b, c) receiving them, and the checks every scenario ends with:
// a fresh plan from every source (no actions = converged) and counts taken from the apiservers.
import { writeFileSync } from 'node:fs';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../../harness/src/workload/pods.ts';
import { writeConfig } from '../../../harness/src/mcsync/cli.ts';
import { writeCount } from '../../../harness/src/observe/metrics.ts';
import { apis, REPLICA_SLICES, type Apis } from '../kube.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { closeAll, connectAll } from '../../../src/engine/clusters.ts';
import { computePlan } from '../../../src/engine/plan.ts';
import { cmp } from '../../../src/model/canonical.ts';
import { Churn } from './churn.ts';
import { rng } from './prng.ts';

export const NS = 'chaos';
export const DESTS = ['b', 'c'] as const;

export interface WorldOptions {
  services: number;
  podsPerService: number;
  staleAfter: string;
  /** The source's stalePolicy (default keep): what a blackhole longer than staleAfter does to its replicas. */
  stalePolicy?: 'keep' | 'not-ready' | 'last-resort' | 'withdraw';
  churnIntervalMs: number;
  /** Seeds the churn; each scenario's fault schedule has its own seed. */
  churnSeed: number;
  /** resyncInterval of the controller, so a kill can be aimed at a relist. */
  resyncSeconds?: number;
}

export interface Check {
  /** Actions a fresh plan from every source still wants: 0 = converged. */
  actions: number;
  /** Ready source endpoints missing from a destination's replicas. */
  lost: number;
  /** Replica Services or slices in a destination whose source Service does not exist. */
  orphans: number;
  /** An address carried by more than one replica slice of the same Service. */
  duplicates: number;
}

export class World {
  readonly apis: Record<string, Apis>;
  readonly pods: Pods;
  readonly churn: Churn;
  readonly members = new Map<string, string[]>();
  /** Kubeconfig per cluster as the config names it; a scenario may point one elsewhere. */
  readonly kubeconfigs: Record<string, string>;

  readonly set: ClusterSet;
  readonly opts: WorldOptions;

  private constructor(set: ClusterSet, opts: WorldOptions) {
    this.set = set;
    this.opts = opts;
    this.apis = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, apis(set.get(n))]));
    this.pods = new Pods(set.get('a'));
    this.churn = new Churn(this.pods, NS, this.members, rng(opts.churnSeed), opts.churnIntervalMs);
    this.kubeconfigs = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, set.get(n).kubeconfigPath]));
  }

  static async start(opts: WorldOptions): Promise<World> {
    const set = await startClusterSet({ names: ['a', 'b', 'c'] });
    const w = new World(set, opts);
    await w.pods.ensureNamespace(NS);
    const names = Array.from({ length: opts.services }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
    // A few at a time: the source apiserver shares two cores with everything else.
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(names.slice(i, i + 8).map(async (svc) => {
        await w.pods.core.createNamespacedService({ namespace: NS, body: { metadata: { name: svc }, spec: { selector: { app: svc }, ports: [{ name: 'http', port: 80 }] } } });
        const pods: string[] = [];
        for (let p = 0; p < opts.podsPerService; p++) {
          await w.pods.create({ namespace: NS, name: `${svc}-${p}`, labels: { app: svc } });
          pods.push(`${svc}-${p}`);
        }
        w.members.set(svc, pods);
      }));
    }
    return w;
  }

  configText(extra: { leaderElection?: boolean } = {}): string {
    const kc = this.kubeconfigs;
    return [
      'instance: chaos',
      'controller:', '  watchTimeout: 5s', `  resyncInterval: ${this.opts.resyncSeconds ?? 60}s`,
      ...(extra.leaderElection ? ['leaderElection:', '  cluster: b', '  leaseDuration: 4s', '  renewDeadline: 3s', '  retryPeriod: 1s'] : []),
      'clusters:',
      `- name: a`, `  kubeconfig: ${kc.a}`, `  staleAfter: ${this.opts.staleAfter}`, `  stalePolicy: ${this.opts.stalePolicy ?? 'keep'}`, '  services:', `  - namespace: ${NS}`,
      `- name: b`, `  kubeconfig: ${kc.b}`,
      `- name: c`, `  kubeconfig: ${kc.c}`,
    ].join('\n') + '\n';
  }

  writeConfig(name: string, extra: { leaderElection?: boolean } = {}): string {
    return writeConfig(this.configText(extra), name);
  }

  rewriteConfig(path: string, extra: { leaderElection?: boolean } = {}): void {
    writeFileSync(path, this.configText(extra));
  }

  /** Write requests the destinations' apiservers have served on replica resources. */
  async writes(): Promise<number> {
    const n = await Promise.all(DESTS.map((d) => writeCount(this.set.get(d), ['services', 'endpointslices', 'namespaces'])));
    return n.reduce((s, x) => s + x, 0);
  }

  apiserverPid(cluster: string): number {
    const p = this.set.running.find((c) => c.name === cluster)!.processes.find((x) => x.name.includes('apiserver'));
    if (!p) throw new Error(`no kube-apiserver process for ${cluster}`);
    return p.pid;
  }

  /** Ready addresses per source Service, from a's own (non-replica) slices. */
  async sourceTruth(): Promise<Map<string, Set<string>>> {
    const svcs = await this.apis.a!.core.listNamespacedService({ namespace: NS });
    const slices = await this.apis.a!.discovery.listNamespacedEndpointSlice({ namespace: NS });
    const truth = new Map<string, Set<string>>(svcs.items.map((s) => [s.metadata!.name!, new Set<string>()]));
    for (const s of slices.items) {
      const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
      if (!svc || !truth.has(svc) || s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'] === 'mcsync.io') continue;
      for (const e of s.endpoints ?? []) if (e.conditions?.ready) for (const a of e.addresses) truth.get(svc)!.add(a);
    }
    return truth;
  }

  /** Ready addresses per replica Service in a destination, and the slices they came from. */
  async replicas(dest: string): Promise<{ services: string[]; slices: V1EndpointSlice[] }> {
    const a = this.apis[dest]!;
    const svcs = await a.core.listNamespacedService({ namespace: NS, labelSelector: 'mcsync.io/managed-by=mcsync' }).catch(() => ({ items: [] }));
    const slices = await a.discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: REPLICA_SLICES }).catch(() => ({ items: [] }));
    return { services: svcs.items.map((s) => s.metadata!.name!).sort(cmp), slices: slices.items };
  }

  /** Every ready replica address in the destinations, as "dest/svc/ip". */
  async replicaAddresses(only?: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const d of only ? [only] : DESTS) {
      for (const s of (await this.replicas(d)).slices) {
        const svc = s.metadata?.labels?.['kubernetes.io/service-name'] ?? '?';
        for (const e of s.endpoints ?? []) if (e.conditions?.ready) for (const ip of e.addresses) out.add(`${d}/${svc}/${ip}`);
      }
    }
    return out;
  }

  /** Plans from a fresh read of every cluster; the number of actions it still wants. */
  async planActions(configPath: string): Promise<number> {
    const config = loadConfig(configPath);
    const conns = await connectAll(config);
    try {
      return (await computePlan(config, conns)).plan.actions.length;
    } finally {
      closeAll(conns);
    }
  }

  async check(configPath: string): Promise<Check> {
    const truth = await this.sourceTruth();
    let lost = 0, orphans = 0, duplicates = 0;
    for (const d of DESTS) {
      const { services, slices } = await this.replicas(d);
      orphans += services.filter((s) => !truth.has(s)).length;
      const seen = new Map<string, Map<string, number>>();
      for (const s of slices) {
        const svc = s.metadata?.labels?.['kubernetes.io/service-name'] ?? '';
        if (!truth.has(svc)) { orphans++; continue; }
        const per = seen.get(svc) ?? new Map<string, number>();
        seen.set(svc, per);
        for (const e of s.endpoints ?? []) {
          for (const ip of e.addresses) {
            const key = `${s.addressType}/${ip}`;
            per.set(key, (per.get(key) ?? 0) + 1);
            if (per.get(key) === 2) duplicates++;
          }
        }
      }
      for (const [svc, ips] of truth) {
        const got = seen.get(svc);
        for (const ip of ips) if (!got || ![...got.keys()].some((k) => k.endsWith(`/${ip}`))) lost++;
      }
    }
    return { actions: await this.planActions(configPath), lost, orphans, duplicates };
  }

  /**
   * Polls until a fresh plan wants nothing (the churn must be paused); the time it took.
   * Undefined when it did not converge within the deadline.
   */
  async convergeMs(configPath: string, deadlineMs: number): Promise<number | undefined> {
    const t0 = Date.now();
    while (Date.now() - t0 < deadlineMs) {
      const n = await this.planActions(configPath).catch(() => -1);
      if (n === 0) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 250));
    }
    return undefined;
  }

  async down(): Promise<void> {
    await this.churn.stop().catch(() => {});
    await this.set.down();
  }
}
