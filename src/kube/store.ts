// The in-memory copy of one collection that a reflector keeps current and the engine reads.
// Whoever creates a Store owns it: a reflector only writes what the apiserver listed or
// watched into it, and the writer of an object applies its own write (upsert / remove), so the
// copy mirrors the server without waiting for the write's watch event to come back.
import { storeKey } from '../vocab/keys.ts';

export interface Listed {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
}

/** A change to a store, as the reflector reports it to its owner. */
export type StoreEvent<T> =
  | { type: 'added'; object: T }
  | { type: 'modified'; object: T; old: T }
  | { type: 'deleted'; object: T };

/**
 * What readers and writers of a cache use: a Store, or one namespace's view of a shared one
 * (engine/controller/informers.ts). Callers never mutate what they get back.
 */
export interface CacheStore<T extends Listed> {
  readonly size: number;
  admit(obj: T): T;
  get(key: string): T | undefined;
  has(key: string): boolean;
  keys(): Iterable<string>;
  values(): Iterable<T>;
  set(key: string, obj: T): void;
  delete(key: string): boolean;
  indexed(value: string): T[];
  hasIndexed(value: string): boolean;
  indexValues(): Iterable<string>;
}

/**
 * Objects by store key, with at most one secondary index: a named function from an object to
 * the value it is grouped under (e.g. the Service an EndpointSlice belongs to). The index is
 * kept by set/delete, so every writer of the store keeps it right without knowing about it.
 * Callers never mutate what they get back.
 */
export class Store<T extends Listed> implements CacheStore<T> {
  readonly #items = new Map<string, T>();
  readonly #indexBy?: (obj: T) => string | undefined;
  readonly #groups = new Map<string, Map<string, T>>();
  readonly #project: (obj: T) => T;

  /**
   * `project` reduces an object to what its readers use before it is stored (client-go's
   * transform): listed, watched and written objects alike pass through it. By default only
   * managedFields goes.
   */
  constructor(indexBy?: (obj: T) => string | undefined, project: (obj: T) => T = slim) {
    this.#indexBy = indexBy;
    this.#project = project;
  }

  /** `obj` as this store keeps it; whoever fills the store passes objects through this first. */
  admit(obj: T): T {
    return this.#project(obj);
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  set(key: string, obj: T): void {
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, obj);
    const group = this.#indexBy?.(obj);
    if (group === undefined) return;
    let members = this.#groups.get(group);
    if (!members) this.#groups.set(group, (members = new Map()));
    members.set(key, obj);
  }

  delete(key: string): boolean {
    const old = this.#items.get(key);
    if (!old) return false;
    this.#unindex(key, old);
    return this.#items.delete(key);
  }

  /** The objects the index groups under `value`, in the order they were stored. */
  indexed(value: string): T[] {
    return [...(this.#groups.get(value)?.values() ?? [])];
  }

  hasIndexed(value: string): boolean {
    return this.#groups.has(value);
  }

  /** Every value the index holds at least one object under. */
  indexValues(): IterableIterator<string> {
    return this.#groups.keys();
  }

  #unindex(key: string, obj: T): void {
    const group = this.#indexBy?.(obj);
    if (group === undefined) return;
    const members = this.#groups.get(group);
    members?.delete(key);
    if (members?.size === 0) this.#groups.delete(group);
  }
}

/**
 * resourceVersions are opaque, but every apiserver backed by etcd issues them as increasing
 * integers; only when both are integers is one known to be older than the other.
 */
export function newer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}

/**
 * managedFields is often the largest part of an object and nothing in mcsync reads it; dropping
 * it before an object enters a store is what keeps a cache of thousands of slices small.
 */
export function slim<T extends Listed>(obj: T): T {
  delete (obj.metadata as { managedFields?: unknown }).managedFields;
  return obj;
}

/**
 * Takes in `obj` unless the store already holds that version or a newer one: a watch event for
 * our own write, arriving after the write was applied, is then nothing new, and an event older
 * than what we hold never replaces it. Returns the change it made, if any.
 */
export function upsert<T extends Listed>(store: CacheStore<T>, incoming: T): StoreEvent<T> | undefined {
  const obj = store.admit(incoming);
  const key = storeKey(obj);
  const old = store.get(key);
  if (old && !newer(obj.metadata.resourceVersion, old.metadata.resourceVersion)) return undefined;
  store.set(key, obj);
  return old ? { type: 'modified', object: obj, old } : { type: 'added', object: obj };
}

/** Drops the object under `key`; nothing when it is already gone (e.g. removed after our own delete). */
export function remove<T extends Listed>(store: CacheStore<T>, key: string): StoreEvent<T> | undefined {
  const old = store.get(key);
  if (!old) return undefined;
  store.delete(key);
  return { type: 'deleted', object: old };
}
