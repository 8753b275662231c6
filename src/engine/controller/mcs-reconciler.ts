// Reconciles one multi-cluster service ("mcs:<namespace>/<name>"), level-based like the
// replica reconciler: from the caches, every constituent export (ServiceExport + Service +
// slices, endpoint guard applied) is merged by the KEP's rules and every cluster mcsync writes
// to is brought in line — ServiceImport, derived Service, slices — and the constituent
// exports' conditions are written. A stale cluster under `withdraw` takes no part; under
// `keep` its cached view stands. Writes go through each cluster's write budget; the replies
// go into the caches at once, so the second round (the ServiceImport's IPs and status, known
// only once the derived Service and the import exist) plans from what is really there.
import type { Config } from '../../config/types.ts';
import type { Locality } from './locality.ts';
import { constituentOf, mergeConstituents, type Constituent, type McsConflict } from '../../model/mcs/merge.ts';
import { conditionTime } from '../../model/mcs/conditions.ts';
import { planMcs, type ImportView, type McsProblem } from '../../model/mcs/plan.ts';
import type { Action } from '../../model/types.ts';
import { splitServiceKey, storeKey } from '../../vocab/keys.ts';
import { isOwned } from '../../vocab/labels.ts';
import { MCS_API_VERSION, type ServiceExport, type ServiceImport } from '../../vocab/mcs.ts';
import type { CacheStore, Listed } from '../../kube/store.ts';
import { postEvent, warningEvent } from '../events.ts';
import type { Rejection } from '../../model/endpoint-guard.ts';
import { exportStalePolicy, staleEffect, staleSlices } from '../../model/stale.ts';
import { RejectionTally } from '../rejection-tally.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import { ProblemLog } from './problem-log.ts';
import type { DestinationOutcome, ReconcileLog } from './reconciler.ts';
import { mcsServiceKey, type McsKey, type McsTopology } from './mcs-topology.ts';
import type { ClusterWriter } from './writer.ts';

export const CONFLICT_EVENT_REASON = 'ServiceExportConflict';

export interface McsReconcilerOptions {
  config: Config;
  /** Where clusters are, for locality tiers, and where the tier in use is recorded; without it tiers are inactive. */
  locality?: Locality;
  topology: McsTopology;
  /** One per cluster mcsync writes to, shared with the other capabilities. */
  writers: ReadonlyMap<string, ClusterWriter>;
  log: ReconcileLog;
  metrics?: Pick<ControllerMetricsSink, 'rejectedEndpoints'>;
  /** Where the guard's rejections are tallied; shared with the replica reconciler (one gauge). Default: one of its own. */
  rejections?: RejectionTally;
  /** Where conflicts are reported once (log line and Events); default one of its own. */
  problems?: ProblemLog<string>;
  isStale?: (cluster: string) => boolean;
  isLeader?: () => boolean;
  now?: () => Date;
}

/** What the last reconcile of a multi-cluster service found, for status and the status page. */
export interface McsState {
  namespace: string;
  name: string;
  exporters: string[];
  invalid: { cluster: string; reason: string; message: string }[];
  conflicts: McsConflict[];
  problems: McsProblem[];
}

const MAX_ROUNDS = 4;

export class McsReconciler {
  readonly #o: McsReconcilerOptions;
  readonly #states = new Map<string, McsState>();
  /** key → how its last reconcile ended, while it has a state or failed (the status page's failing). */
  readonly #outcomes = new Map<string, DestinationOutcome>();
  /** A standing conflict is logged and posted as Events once. */
  readonly #posted: ProblemLog<string>;
  readonly #rejections: RejectionTally;

  constructor(opts: McsReconcilerOptions) {
    this.#o = opts;
    this.#rejections = opts.rejections ?? new RejectionTally(opts.metrics?.rejectedEndpoints, opts.log);
    this.#posted = opts.problems ?? new ProblemLog({ isLeader: () => opts.isLeader?.() ?? true });
  }

  states(): McsState[] {
    return [...this.#states.values()];
  }

  /** How the last reconcile of the multi-cluster service `serviceKey` ("namespace/name") ended; none on a standby. */
  lastOutcome(serviceKey: string): DestinationOutcome | undefined {
    return this.#outcomes.get(serviceKey);
  }

  async reconcile(key: McsKey): Promise<void> {
    if (!(this.#o.isLeader?.() ?? true)) return;
    const serviceKey = mcsServiceKey(key);
    const at = () => (this.#o.now?.() ?? new Date()).getTime();
    try {
      await this.#reconcile(key, serviceKey);
    } catch (err) {
      this.#outcomes.set(serviceKey, { ok: false, error: (err as Error).message, at: at() });
      throw err;
    }
    // A service with nothing left to show is forgotten whole, so churned names do not pile up.
    if (this.#states.has(serviceKey)) this.#outcomes.set(serviceKey, { ok: true, at: at() });
    else {
      this.#outcomes.delete(serviceKey);
      this.#posted.forget(serviceKey);
    }
  }

  /** The fleet changed while running: plan with it from now on. */
  configure(config: Config): void {
    this.#o.config = config;
  }

  async #reconcile(key: McsKey, serviceKey: string): Promise<void> {
    const { namespace, name } = splitServiceKey(serviceKey);
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const { constituents, exports, rejected } = this.#constituents(serviceKey);
      // Under the MCS key: the replica path tallies the same Service under its own key.
      if (round === 1) this.#rejections.record(key, rejected);
      const merge = mergeConstituents(namespace, name, constituents);
      const now = conditionTime(this.#o.now?.() ?? new Date());
      const locality = this.#o.locality;
      const views = this.#views(serviceKey);
      const plan = planMcs(this.#o.config, { namespace, name, merge, views, exports, unavailable: new Set(), now, ...(locality ? { locality: locality.view } : {}) });
      await locality?.tracker.record('imports', serviceKey, views.map((v) => v.cluster), plan.locality, (s) => ({ apiVersion: MCS_API_VERSION, kind: 'ServiceImport', namespace: s.namespace, name: s.name }));
      this.#remember(serviceKey, merge, plan.problems);
      if (round === 1) await this.#postConflictEvents(serviceKey, merge.merged?.conflicts ?? [], exports);
      if (plan.actions.length === 0) return;
      const failures = await this.#apply(serviceKey, plan.actions);
      if (failures.length > 0) throw new Error(`reconcile ${key}: ${failures.join('; ')}`);
    }
    this.#o.log.warn({ key }, 'import not converged after several rounds; requeued by the next change or resync');
  }

  #constituents(serviceKey: string): { constituents: Constituent[]; exports: Map<string, ServiceExport>; rejected: Rejection[] } {
    const constituents: Constituent[] = [];
    const rejected: Rejection[] = [];
    const exports = new Map<string, ServiceExport>();
    for (const c of this.#o.config.clusters) {
      const caches = this.#o.topology.sources.get(c.name);
      if (!caches) continue;
      const serviceExport = caches.exports.get(serviceKey);
      if (!serviceExport) continue;
      // An unreachable cluster's cached view stands (keep) until its stale policy (the export's own, else the cluster's) says otherwise (model/stale.ts).
      const effect = (this.#o.isStale?.(c.name) ?? false) ? staleEffect('imports', exportStalePolicy(serviceExport.metadata).policy ?? c.stalePolicy) : 'keep';
      if (effect === 'withdraw') continue;
      if (this.#o.writers.has(c.name)) exports.set(c.name, serviceExport);
      const slices = caches.slices.indexed(serviceKey);
      // Its Nodes' ranges when the config names none, as for replicas.
      const guarded = constituentOf(c, serviceExport, caches.services.get(serviceKey), [...staleSlices(slices, effect)], caches.nodes?.cidrs);
      constituents.push(guarded.constituent);
      rejected.push(...guarded.rejected);
    }
    return { constituents, exports, rejected };
  }

  #views(serviceKey: string): ImportView[] {
    const { namespace } = splitServiceKey(serviceKey);
    return [...this.#o.topology.destinations.values()].map((d) => {
      const view: ImportView = {
        cluster: d.cluster,
        hasNamespace: d.namespaces.has(namespace),
        slices: d.slices.indexed(serviceKey),
      };
      const si = d.imports.get(serviceKey);
      if (si) view.serviceImport = si;
      const derived = d.derived.indexed(serviceKey)[0];
      if (derived) view.derived = derived;
      return view;
    });
  }

  #remember(serviceKey: string, merge: ReturnType<typeof mergeConstituents>, problems: McsProblem[]): void {
    const { namespace, name } = splitServiceKey(serviceKey);
    if (!merge.merged && merge.invalid.length === 0 && problems.length === 0) {
      this.#states.delete(serviceKey);
      return;
    }
    this.#states.set(serviceKey, {
      namespace,
      name,
      exporters: merge.merged?.constituents.map((c) => c.cluster) ?? [],
      invalid: merge.invalid,
      conflicts: merge.merged?.conflicts ?? [],
      problems,
    });
  }

  /** A conflict is reported on every constituent export, as a condition (the plan) and as an Event (here). */
  async #postConflictEvents(serviceKey: string, conflicts: readonly McsConflict[], exports: ReadonlyMap<string, ServiceExport>): Promise<void> {
    const text = conflicts.map((c) => `${c.reason}: ${c.message}`).join('; ');
    await this.#posted.report(serviceKey, text, {
      log: () => this.#o.log.warn({ key: serviceKey, conflicts }, 'multi-cluster service conflict'),
      post: () => this.#postEvents(serviceKey, text, exports),
    });
  }

  async #postEvents(serviceKey: string, text: string, exports: ReadonlyMap<string, ServiceExport>): Promise<void> {
    const now = this.#o.now?.() ?? new Date();
    await Promise.all([...exports].map(async ([cluster, se]) => {
      const writer = this.#o.writers.get(cluster);
      if (!writer) return;
      const ns = se.metadata.namespace ?? 'default';
      const event = warningEvent({ apiVersion: MCS_API_VERSION, kind: 'ServiceExport', namespace: ns, name: se.metadata.name, ...(se.metadata.uid ? { uid: se.metadata.uid } : {}) }, CONFLICT_EVENT_REASON, text, now);
      const r = await postEvent(writer.client, ns, event);
      if (r.outcome === 'failed') this.#o.log.warn({ cluster, key: serviceKey, error: r.detail }, 'conflict event not posted');
    }));
  }

  async #apply(serviceKey: string, actions: Action[]): Promise<string[]> {
    const failures: string[] = [];
    const byCluster = Map.groupBy(actions, (a) => a.cluster);
    await Promise.all([...byCluster].map(async ([cluster, list]) => {
      const writer = this.#o.writers.get(cluster);
      if (!writer) return;
      const results = await writer.apply('imports', serviceKey, list, (kind) => this.#storeFor(cluster, kind), 'import changed');
      for (const r of results) if (r.outcome === 'failed') failures.push(`${cluster}: ${r.detail}`);
    }));
    return failures;
  }

  /** Where the reply to an import write goes. */
  #storeFor(cluster: string, kind: string): CacheStore<Listed> | undefined {
    const d = this.#o.topology.destinations.get(cluster);
    switch (kind) {
      case 'ServiceExport': return this.#o.topology.sources.get(cluster)?.exports;
      case 'ServiceImport': return d?.imports;
      case 'Service': return d?.derived;
      case 'EndpointSlice': return d?.slices;
      default: return undefined;
    }
  }
}
