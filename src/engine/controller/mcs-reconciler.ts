// Reconciles one multi-cluster service ("mcs:<namespace>/<name>"), level-based like the
// replica reconciler: from the caches, every constituent export (ServiceExport + Service +
// slices, endpoint guard applied) is merged by the KEP's rules and every cluster mcsync writes
// to is brought in line — ServiceImport, derived Service, slices — and the constituent
// exports' conditions are written. A stale cluster under `withdraw` takes no part; under
// `keep` its cached view stands. Writes go through each cluster's write budget; the replies
// go into the caches at once, so the second round (the ServiceImport's IPs and status, known
// only once the derived Service and the import exist) plans from what is really there.
import type { Config } from '../../config/types.ts';
import { constituentOf, mergeConstituents, type Constituent, type McsConflict } from '../../model/mcs/merge.ts';
import { conditionTime } from '../../model/mcs/conditions.ts';
import { planMcs, type ImportView, type McsProblem } from '../../model/mcs/plan.ts';
import type { Action } from '../../model/types.ts';
import { splitServiceKey, storeKey } from '../../vocab/keys.ts';
import { isOwned } from '../../vocab/labels.ts';
import { MCS_API_VERSION, type ServiceExport, type ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Namespace, Service } from '../../vocab/objects.ts';
import type { ApiClient } from '../../kube/client.ts';
import { remove, upsert, type Store, type Listed } from '../../kube/store.ts';
import { applyActions, type WriteResult } from '../../kube/write.ts';
import { postEvent, warningEvent } from '../events.ts';
import type { Rejection } from '../../model/endpoint-guard.ts';
import { RejectionTally } from '../rejection-tally.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import type { DestinationOutcome, ReconcileLog } from './reconciler.ts';
import { mcsServiceKey, type McsKey, type McsTopology } from './mcs-topology.ts';

export const CONFLICT_EVENT_REASON = 'ServiceExportConflict';

/** A cluster mcsync writes to: its client and write budget (shared with replicas). */
export interface McsWriter {
  client: ApiClient;
  limiter?: { take(): Promise<void> };
}

export interface McsReconcilerOptions {
  config: Config;
  topology: McsTopology;
  writers: ReadonlyMap<string, McsWriter>;
  /** The namespaces of a cluster mcsync writes to (the replica side's store). */
  namespaces: (cluster: string) => Store<Namespace> | undefined;
  log: ReconcileLog;
  metrics?: Pick<ControllerMetricsSink, 'writes' | 'rejectedEndpoints'>;
  /** Where the guard's rejections are tallied; shared with the replica reconciler (one gauge). Default: one of its own. */
  rejections?: RejectionTally;
  fieldManager?: string;
  isStale?: (cluster: string) => boolean;
  isLeader?: () => boolean;
  isStopping?: () => boolean;
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
  /** key → the conflict text last posted as Events, so a standing conflict is posted once. */
  readonly #posted = new Map<string, string>();
  readonly #rejections: RejectionTally;

  constructor(opts: McsReconcilerOptions) {
    this.#o = opts;
    this.#rejections = opts.rejections ?? new RejectionTally(opts.metrics?.rejectedEndpoints, opts.log);
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
    else this.#outcomes.delete(serviceKey);
  }

  async #reconcile(key: McsKey, serviceKey: string): Promise<void> {
    const { namespace, name } = splitServiceKey(serviceKey);
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const { constituents, exports, rejected } = this.#constituents(serviceKey);
      // Under the MCS key: the replica path tallies the same Service under its own key.
      if (round === 1) this.#rejections.record(key, rejected);
      const merge = mergeConstituents(namespace, name, constituents);
      const now = conditionTime(this.#o.now?.() ?? new Date());
      const plan = planMcs(this.#o.config, { namespace, name, merge, views: this.#views(serviceKey), exports, unavailable: new Set(), now });
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
      // An unreachable cluster's cached view stands (keep) until its stale policy says otherwise.
      if (c.stalePolicy === 'withdraw' && (this.#o.isStale?.(c.name) ?? false)) continue;
      const serviceExport = caches.exports.get(serviceKey);
      if (!serviceExport) continue;
      if (this.#o.writers.has(c.name)) exports.set(c.name, serviceExport);
      // Its Nodes' ranges when the config names none, as for replicas.
      const guarded = constituentOf(c, serviceExport, caches.services.get(serviceKey), caches.slices.indexed(serviceKey), caches.nodes?.cidrs);
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
        hasNamespace: this.#o.namespaces(d.cluster)?.has(namespace) ?? false,
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
    if (text === (this.#posted.get(serviceKey) ?? '')) return;
    this.#posted.set(serviceKey, text);
    if (!text) return;
    this.#o.log.warn({ key: serviceKey, conflicts }, 'multi-cluster service conflict');
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
    const { config, log, metrics } = this.#o;
    const failures: string[] = [];
    const byCluster = Map.groupBy(actions, (a) => a.cluster);
    await Promise.all([...byCluster].map(async ([cluster, list]) => {
      const writer = this.#o.writers.get(cluster);
      if (!writer) return;
      const results = await applyActions(writer.client, list, {
        instance: config.instance,
        concurrency: config.concurrency,
        limiter: writer.limiter,
        fieldManager: this.#o.fieldManager,
        refuse: () => ((this.#o.isLeader?.() ?? true) && !this.#o.isStopping?.() ? undefined : 'not the leader any more; write not sent'),
        onResult: (r) => {
          this.#takeIn(cluster, r);
          const kind = r.action.verb === 'update' && r.action.subresource === 'status' ? `${r.action.ref.kind}/status` : r.action.ref.kind;
          metrics?.writes.inc({ cluster, verb: r.action.verb, kind, result: r.outcome });
          const fields = { cluster, key: serviceKey, verb: r.action.verb, kind, reason: r.action.reason, outcome: r.outcome };
          if (r.outcome === 'failed') log.error({ ...fields, error: r.detail }, 'write failed');
          else log.info(fields, 'import changed');
        },
      });
      for (const r of results) if (r.outcome === 'failed') failures.push(`${cluster}: ${r.detail}`);
    }));
    return failures;
  }

  /** The server's answer to our own write, into the cache it belongs to. */
  #takeIn(cluster: string, r: WriteResult): void {
    const kind = r.action.ref.kind;
    const store = this.#storeFor(cluster, kind);
    if (!store) return;
    if (r.action.verb === 'delete') {
      if (r.outcome !== 'failed') remove(store, storeKey({ metadata: r.action.ref }));
      return;
    }
    if (!r.object) return;
    // A user's ServiceExport is cached whatever its labels; everything else only while it is ours.
    if (kind !== 'ServiceExport' && !isOwned(r.object.metadata, this.#o.config.instance)) return;
    // An update's reply only refreshes what the cache still holds: if the object's deletion was
    // watched while the write was in flight, putting the reply back would bring a deleted object
    // (a user's ServiceExport, most of all) back to life in the cache until the next relist.
    if (r.action.verb === 'update' && !store.has(storeKey(r.object))) return;
    upsert(store, r.object as Listed);
  }

  #storeFor(cluster: string, kind: string): Store<Listed> | undefined {
    const d = this.#o.topology.destinations.get(cluster);
    switch (kind) {
      case 'ServiceExport': return this.#o.topology.sources.get(cluster)?.exports as Store<Listed> | undefined;
      case 'ServiceImport': return d?.imports as Store<Listed> | undefined;
      case 'Service': return d?.derived as Store<Listed> | undefined;
      case 'EndpointSlice': return d?.slices as Store<Listed> | undefined;
      default: return undefined;
    }
  }
}

