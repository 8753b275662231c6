// One list+watch per (cluster, resource, label selector), however many capabilities need it —
// client-go's shared informer factory, for mcsync. A capability declares what it needs
// (`need`) while the manager is being built and gets back a view it reads and subscribes to;
// `seal` then decides which watches exist. A need for one namespace is served by a watch of the
// whole cluster when another capability needs the cluster-wide collection with the same
// selector, index and projection: the view filters by namespace, so the capability cannot tell
// the difference, and the apiserver holds one watch instead of two.
//
// Nobody mutates another's watch: fan-out to every subscriber is this registry's job.
import type { Logger } from 'pino';
import type { Config } from '../../config/types.ts';
import type { ListerWatcher } from '../../kube/client.ts';
import { Reflector, type ListReason } from '../../kube/reflector.ts';
import type { ControllerMetricsSink } from './metrics.ts';
import type { OptionalCollection } from './optional-collection.ts';
import { Store, type CacheStore, type Listed, type StoreEvent } from '../../kube/store.ts';

export type Resource = 'services' | 'endpointslices' | 'namespaces' | 'networkpolicies' | 'pods' | 'nodes' | 'serviceexports' | 'serviceimports' | 'clusterproperties';

/** A secondary index, named so two needs can tell whether they group objects the same way. */
export interface Index<T> {
  name: string;
  of: (obj: T) => string | undefined;
}

/** What a capability reads of one cluster. */
export interface InformerNeed<T extends Listed> {
  cluster: string;
  resource: Resource;
  /** The collection path for a namespace (undefined: the whole cluster). */
  path: (namespace?: string) => string;
  /** Undefined: the whole cluster. */
  namespace?: string;
  labelSelector?: string;
  index?: Index<T>;
  /** Named like an index, for the same reason; default: only managedFields goes. */
  projection?: { name: string; of: (obj: T) => T };
}

export type Handler<T> = (e: StoreEvent<T>) => void;

const namespaceOfObj = (o: Listed): string | undefined => o.metadata.namespace;

/**
 * One capability's view of a shared informer: the whole store, or one namespace of it. Reads and
 * writes work once the registry is sealed.
 */
export class InformerView<T extends Listed> implements CacheStore<T> {
  readonly need: InformerNeed<T>;
  #store?: Store<T>;
  /** Set when this view is one namespace of a cluster-wide informer. */
  #only?: string;

  constructor(need: InformerNeed<T>) {
    this.need = need;
  }

  /** @internal Called by the registry when it seals. */
  bind(store: Store<T>, only: string | undefined): void {
    this.#store = store;
    this.#only = only;
  }

  get store(): Store<T> {
    if (!this.#store) throw new Error(`informer ${this.need.cluster}/${this.need.resource} read before the registry was sealed`);
    return this.#store;
  }

  /** Whether an object (or event) belongs to this view. */
  admits(obj: Listed): boolean {
    return this.#only === undefined || namespaceOfObj(obj) === this.#only;
  }

  #keyIn(key: string): boolean {
    return this.#only === undefined || key.startsWith(`${this.#only}/`);
  }

  admit(obj: T): T {
    return this.store.admit(obj);
  }

  /** Writes go to the shared store: taking in our own writes, and tests filling a cache. */
  set(key: string, obj: T): void {
    this.store.set(key, obj);
  }

  delete(key: string): boolean {
    return this.#keyIn(key) && this.store.delete(key);
  }

  get size(): number {
    if (this.#only === undefined) return this.store.size;
    let n = 0;
    for (const k of this.store.keys()) if (this.#keyIn(k)) n++;
    return n;
  }

  get(key: string): T | undefined {
    return this.#keyIn(key) ? this.store.get(key) : undefined;
  }

  has(key: string): boolean {
    return this.#keyIn(key) && this.store.has(key);
  }

  *keys(): Iterable<string> {
    for (const k of this.store.keys()) if (this.#keyIn(k)) yield k;
  }

  *values(): Iterable<T> {
    for (const o of this.store.values()) if (this.admits(o)) yield o;
  }

  indexed(value: string): T[] {
    const all = this.store.indexed(value);
    return this.#only === undefined ? all : all.filter((o) => this.admits(o));
  }

  hasIndexed(value: string): boolean {
    return this.#only === undefined ? this.store.hasIndexed(value) : this.indexed(value).length > 0;
  }

  *indexValues(): Iterable<string> {
    for (const v of this.store.indexValues()) if (this.#only === undefined || this.indexed(v).length > 0) yield v;
  }
}

/** One watch: the collection, its store, and every view with its subscribers. */
export interface SharedInformer {
  cluster: string;
  resource: Resource;
  path: string;
  labelSelector?: string;
  /** The namespace watched; undefined: the whole cluster. */
  namespace?: string;
  store: Store<Listed>;
  /** Delivers a reflector event to every view that admits it. */
  dispatch(e: StoreEvent<Listed>): void;
  /** Set by whoever starts it. */
  reflector?: Reflector<Listed>;
}

interface Member {
  view: InformerView<Listed>;
  handlers: Handler<Listed>[];
}

const groupOf = (n: InformerNeed<Listed>) => JSON.stringify([n.cluster, n.resource, n.labelSelector ?? '', n.index?.name ?? '', n.projection?.name ?? '']);

/**
 * The registry grows and shrinks with the fleet: needs declared after a seal (a cluster joining
 * at run time) become watches at the next seal, which returns only the watches it added; a need
 * an existing watch already serves is bound to it, so a running watch is never restarted for a
 * newcomer's sake. `drop` takes a cluster's watches out when it leaves.
 */
export class InformerRegistry {
  /** Every declared view and its handlers (the same arrays the watches dispatch to). */
  readonly #needs = new Map<InformerView<Listed>, Handler<Listed>[]>();
  /** Views declared since the last seal. */
  #pending: InformerView<Listed>[] = [];
  readonly #informers: SharedInformer[] = [];
  readonly #members = new Map<SharedInformer, Member[]>();
  readonly #groups = new Map<SharedInformer, string>();
  #sealed = false;

  /** Declares a need; the view can be read and fires its handlers once the registry is sealed and started. */
  need<T extends Listed>(n: InformerNeed<T>, ...handlers: Handler<T>[]): InformerView<T> {
    const view = new InformerView<T>(n);
    // The one unchecked step of the registry: views and handlers are kept without their type
    // parameter, and each only ever sees objects of its own collection (the group key says so).
    this.#needs.set(view as unknown as InformerView<Listed>, handlers as unknown as Handler<Listed>[]);
    this.#pending.push(view as unknown as InformerView<Listed>);
    return view;
  }

  /** Adds a subscriber to a declared view (before or after its seal). */
  subscribe<T extends Listed>(view: InformerView<T>, handler: Handler<T>): void {
    const hs = this.#needs.get(view as unknown as InformerView<Listed>);
    if (!hs) throw new Error('subscribe: view not declared here');
    hs.push(handler as unknown as Handler<Listed>);
  }

  /** Every watch now, in the order they were added. */
  get informers(): readonly SharedInformer[] {
    return this.#informers;
  }

  /** Whether the first seal has happened. */
  get sealed(): boolean {
    return this.#sealed;
  }

  /**
   * Decides the watches of the needs declared since the last seal: per (cluster, resource,
   * selector, index, projection), one cluster-wide watch if any need is cluster-wide, else one
   * per namespace needed; a need an existing watch of its group serves (cluster-wide, or its
   * namespace) joins that watch. Returns the watches it added, not yet started.
   */
  seal(): SharedInformer[] {
    this.#sealed = true;
    const pending = this.#pending;
    this.#pending = [];
    const groups = new Map<string, InformerView<Listed>[]>();
    for (const view of pending) {
      const g = groupOf(view.need);
      const running = this.#serving(g, view.need.namespace);
      if (running) {
        // Joins a running watch: its store is already full, and the capability re-plans what it reads from it.
        view.bind(running.store, running.wide && view.need.namespace !== undefined ? view.need.namespace : undefined);
        this.#members.get(running.informer)!.push({ view, handlers: this.#needs.get(view)! });
        continue;
      }
      groups.set(g, [...(groups.get(g) ?? []), view]);
    }
    const added: SharedInformer[] = [];
    for (const [g, views] of groups) {
      const wide = views.some((v) => v.need.namespace === undefined);
      const scopes = wide ? [undefined] : [...new Set(views.map((v) => v.need.namespace))];
      for (const ns of scopes) {
        const first = views.find((v) => v.need.namespace === ns)!.need;
        const store = new Store<Listed>(first.index?.of, first.projection?.of);
        const members: Member[] = [];
        for (const v of views) {
          if (!wide && v.need.namespace !== ns) continue;
          v.bind(store, wide && v.need.namespace !== undefined ? v.need.namespace : undefined);
          members.push({ view: v, handlers: this.#needs.get(v)! });
        }
        const inf: SharedInformer = {
          cluster: first.cluster,
          resource: first.resource,
          path: first.path(ns),
          ...(first.labelSelector ? { labelSelector: first.labelSelector } : {}),
          ...(ns !== undefined ? { namespace: ns } : {}),
          store,
          dispatch: (e) => {
            for (const m of members) {
              if (!m.view.admits(e.object)) continue;
              for (const h of m.handlers) h(e);
            }
          },
        };
        this.#members.set(inf, members);
        this.#groups.set(inf, g);
        added.push(inf);
      }
    }
    this.#informers.push(...added);
    return added;
  }

  /** The running watch of a group that serves a need for `namespace` (undefined: the whole cluster). */
  #serving(group: string, namespace: string | undefined): { informer: SharedInformer; store: Store<Listed>; wide: boolean } | undefined {
    for (const inf of this.#informers) {
      if (this.#groups.get(inf) !== group) continue;
      if (inf.namespace === undefined) return { informer: inf, store: inf.store, wide: true };
      if (namespace !== undefined && inf.namespace === namespace) return { informer: inf, store: inf.store, wide: false };
    }
    return undefined;
  }

  /**
   * Takes every watch of a cluster out, and its views with them; returns the watches, for their
   * owner to stop. The stores stay readable by whoever holds a view (a removed cluster's last
   * view, kept).
   */
  drop(cluster: string): SharedInformer[] {
    const gone = this.#informers.filter((inf) => inf.cluster === cluster);
    for (const inf of gone) {
      this.#informers.splice(this.#informers.indexOf(inf), 1);
      for (const m of this.#members.get(inf) ?? []) this.#needs.delete(m.view);
      this.#members.delete(inf);
      this.#groups.delete(inf);
    }
    this.#pending = this.#pending.filter((v) => v.need.cluster !== cluster);
    return gone;
  }
}

/**
 * The list+watch that keeps one shared informer's store current and fans its events out to
 * every subscriber; its errors and lists are logged and counted. A Nodes watch tells its
 * NodeRanges of each answer, and a 403 there is a missing grant, not an error.
 */
export function reflectorOf(inf: SharedInformer, deps: {
  client: ListerWatcher;
  controller: Config['controller'];
  log: Pick<Logger, 'info' | 'warn'>;
  metrics?: Pick<ControllerMetricsSink, 'watchRestarts' | 'clusterLastError' | 'relists'>;
  /** A collection read when it can be (the Nodes, ClusterProperties): its absence is not an outage. */
  optional?: OptionalCollection;
}): Reflector<Listed> {
  const { log, metrics, optional } = deps;
  const { cluster, resource } = inf;
  return new Reflector<Listed>({
    listerWatcher: deps.client,
    store: inf.store,
    path: inf.path,
    ...(inf.labelSelector ? { labelSelector: inf.labelSelector } : {}),
    watchTimeoutSeconds: deps.controller.watchTimeoutSeconds,
    resyncMs: deps.controller.resyncMs,
    onError: (err) => {
      if (optional?.absentOn(err, log)) return;
      log.warn({ cluster, resource, err: err.message }, 'watch error');
      metrics?.watchRestarts.inc({ cluster, resource });
      metrics?.clusterLastError.set({ cluster }, Date.now() / 1000);
    },
    onList: (reason: ListReason) => {
      metrics?.relists.inc({ cluster, resource, reason });
      optional?.listed(log);
    },
    onEvent: (e) => inf.dispatch(e),
  });
}
