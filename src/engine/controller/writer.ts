// One writer per cluster, shared by every capability that writes there: the cluster's write
// budget (a token bucket), the refusal to write once this instance has stopped leading or is
// stopping, the apply itself (kube/write.ts: phases, retries, ownership re-checked on every
// conflict), and taking the server's replies into the caches under one rule set. The write
// metric and log line carry the capability, so a reader can tell replicas from imports from
// companions.
//
// Taking replies in (the EndpointSlice reconciler's "expectations", kept simpler): the object
// the server returned goes into the store it belongs to at once, so the next plan starts from
// what is really there, not from a copy our own write made stale. The rules, for every kind:
// - a delete that did not fail removes the object (skipped means already gone, or not ours);
// - a create's or update's reply is cached only if it is ours (a ServiceExport is the user's
//   and cached whatever its labels; a created Namespace always);
// - an update's reply only refreshes what the store still holds: if the object's deletion was
//   watched while the write was in flight, putting the reply back would raise the dead until
//   the next relist (the resurrection guard).
import type { Logger } from 'pino';
import type { Action } from '../../model/types.ts';
import { isOwned } from '../../vocab/labels.ts';
import { storeKey } from '../../vocab/keys.ts';
import type { ApiClient } from '../../kube/client.ts';
import { remove, upsert, type CacheStore, type Listed, type StoreEvent } from '../../kube/store.ts';
import { applyActions, type WriteResult } from '../../kube/write.ts';
import type { ControllerMetricsSink } from './metrics.ts';

export type CapabilityName = 'replicas' | 'imports' | 'policies';

/** Which store a written kind belongs to, for one capability's writes; undefined: not cached. */
export type StoreOf = (kind: string) => CacheStore<Listed> | undefined;

/** Kinds that are the user's and cached whatever their labels (their status is ours to write). */
const CACHED_UNOWNED = new Set(['ServiceExport']);

export interface ClusterWriterOptions {
  cluster: string;
  client: ApiClient;
  instance: string;
  concurrency: number;
  limiter?: { take(): Promise<void> };
  fieldManager?: string;
  /** A reason not to write now (lost leadership, stopping), or undefined. Asked before every request. */
  refusal: () => string | undefined;
  log: Pick<Logger, 'info' | 'error'>;
  metrics?: Pick<ControllerMetricsSink, 'writes'>;
}

/** One write's result with the cache change taking its reply in made, if any. */
export interface Written extends WriteResult {
  change?: StoreEvent<Listed>;
}

export const NOT_LEADER = 'not the leader any more; write not sent';

export class ClusterWriter {
  readonly cluster: string;
  readonly client: ApiClient;
  readonly #o: ClusterWriterOptions;

  constructor(o: ClusterWriterOptions) {
    this.#o = o;
    this.cluster = o.cluster;
    this.client = o.client;
  }

  /** Whether a write would be sent now. */
  get refusal(): string | undefined {
    return this.#o.refusal();
  }

  /**
   * Applies one capability's actions for one key and takes every reply into the caches; never
   * throws for a single failed write (the results say which failed).
   */
  async apply(capability: CapabilityName, key: string, actions: Action[], storeOf: StoreOf, message: string): Promise<Written[]> {
    const { cluster, log, metrics } = { ...this.#o };
    const out: Written[] = [];
    await applyActions(this.client, actions, {
      instance: this.#o.instance,
      concurrency: this.#o.concurrency,
      limiter: this.#o.limiter,
      fieldManager: this.#o.fieldManager,
      refuse: this.#o.refusal,
      onResult: (r) => {
        const change = this.#takeIn(r, storeOf);
        out.push(change ? { ...r, change } : r);
        const kind = r.action.verb === 'update' && r.action.subresource === 'status' ? `${r.action.ref.kind}/status` : r.action.ref.kind;
        metrics?.writes.inc({ cluster, verb: r.action.verb, kind, result: r.outcome, capability });
        const fields = { cluster, capability, key, verb: r.action.verb, kind, name: r.action.ref.name, reason: r.action.reason, outcome: r.outcome };
        if (r.outcome === 'failed') log.error({ ...fields, error: r.detail }, 'write failed');
        else log.info(fields, message);
      },
    });
    return out;
  }

  #takeIn(r: WriteResult, storeOf: StoreOf): StoreEvent<Listed> | undefined {
    const kind = r.action.ref.kind;
    const store = storeOf(kind);
    if (!store) return undefined;
    if (r.action.verb === 'delete') return r.outcome === 'failed' ? undefined : remove(store, storeKey({ metadata: r.action.ref }));
    if (!r.object || r.outcome === 'failed') return undefined;
    const mine = kind === 'Namespace' || CACHED_UNOWNED.has(kind) || isOwned(r.object.metadata, this.#o.instance);
    if (!mine) return undefined;
    if (r.action.verb === 'update' && !store.has(storeKey(r.object))) return undefined;
    return upsert(store, r.object);
  }
}
