// List-then-watch of one resource collection in one cluster, kept in a store its owner passes
// in. Our own loop rather than client-node's informer: that one stops on the first non-410
// error, never asks for bookmarks and can stall silently. Here a stream that ends is re-opened
// from the last resourceVersion, a 410 Gone relists, errors back off with jitter, a watchdog
// restarts a watch that has gone quiet, and a periodic relist repairs anything a missed event
// left behind.
import { storeKey } from '../vocab/keys.ts';
import { REFLECTOR_BACKOFF, backoffDelay } from './backoff.ts';
import { KubeApiError, DEFAULT_REQUEST_TIMEOUT_MS, WATCH_OPEN_TIMEOUT_MS, type ListerWatcher, type WatchEvent } from './client.ts';
import { WakeableSleep } from './sleep.ts';
import { upsert, type Listed, type Store, type StoreEvent } from './store.ts';

export type { Listed } from './store.ts';
export type ReflectorEvent<T> = StoreEvent<T>;

export interface ReflectorOptions<T extends Listed> {
  listerWatcher: ListerWatcher;
  /** Where listed and watched objects go; owned by the caller, who may read it and apply its own writes. */
  store: Store<T>;
  /** Collection path, e.g. /api/v1/namespaces/shop/services. */
  path: string;
  labelSelector?: string;
  /** Server-side watch timeout; the server ends the stream after it and we re-open. */
  watchTimeoutSeconds?: number;
  /** Restart a watch that delivered nothing (not even a bookmark) for this long. */
  inactivityMs?: number;
  /** Full relist period; 0 turns it off. */
  resyncMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  onEvent?: (e: ReflectorEvent<T>) => void;
  onError?: (err: Error) => void;
  /** Every completed list, with why it happened. */
  onList?: (reason: ListReason) => void;
  random?: () => number;
  /** Wall clock (ms since epoch) for health and resync timing; injectable for tests. */
  now?: () => number;
}

export type ListReason = 'initial' | 'gone' | 'resync' | 'error';

export interface ReflectorStats {
  lists: number;
  watches: number;
  relistsGone: number;
  errors: number;
  lastError?: string;
  lastErrorAt?: number;
}

/** What the owner of a reflector reads to judge the health of its cluster. */
export interface ReflectorStatus {
  readonly synced: boolean;
  readonly connected: boolean;
  readonly unhealthySince?: number;
  readonly lastSeen?: number;
  readonly stats: ReflectorStats;
}

/**
 * How long a watch may deliver nothing before it is re-opened. The server ends each watch after
 * its timeout and sends bookmarks meanwhile, so silence past the timeout and some grace means a
 * stream that died without closing (a hung apiserver, a dropped connection). Capped at 90 s so a
 * long watch timeout does not hide a hung source for minutes: re-opening a healthy quiet watch
 * costs one request, and re-opening against a hung one fails within WATCH_OPEN_TIMEOUT_MS.
 */
export function inactivityLimitMs(watchTimeoutSeconds: number): number {
  return Math.min(watchTimeoutSeconds + Math.max(5, watchTimeoutSeconds / 2), 90) * 1000;
}

/**
 * The longest a reflector whose loop runs can go without any sign of it (a list or watch
 * started or answered, an event, an error reported, a backoff ended): every step it waits on is
 * bounded — a list request by the client's 30 s, a watch's answer by its open timeout, an open
 * stream by the server's watch timeout and the inactivity watchdog, a backoff by its ceiling —
 * so twice the longest of them leaves room for a loaded machine. A healthy idle cluster re-opens
 * its watches every watch timeout, and an unreachable one reports an error at every attempt:
 * neither comes near it; only a loop that is stuck does.
 */
export function reflectorQuietLimitMs(watchTimeoutSeconds: number, backoffMaxMs: number = REFLECTOR_BACKOFF.maxMs): number {
  return 2 * Math.max(inactivityLimitMs(watchTimeoutSeconds), DEFAULT_REQUEST_TIMEOUT_MS, backoffMaxMs);
}

/** What a liveness check reads of a reflector: when its loop last showed it was running. */
export interface ReflectorLiveness {
  readonly path: string;
  /** ms since epoch. */
  readonly lastProgressAt: number;
}

export class Reflector<T extends Listed> implements ReflectorStatus {
  /** The owner's store, as passed in. */
  readonly store: Store<T>;
  readonly stats: ReflectorStats = { lists: 0, watches: 0, relistsGone: 0, errors: 0 };
  private readonly o: ReflectorOptions<T>;
  private resourceVersion = '';
  private syncedFlag = false;
  private stopped = false;
  private current?: AbortController;
  private loop?: Promise<void>;
  private nextResync = 0;
  private listReason: ListReason = 'initial';
  private syncedWaiters: (() => void)[] = [];
  private readonly pause = new WakeableSleep();
  private readonly now: () => number;
  private lastProgressAt: number;

  constructor(opts: ReflectorOptions<T>) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.lastProgressAt = this.now();
    this.store = opts.store;
  }

  /** Plain data for a liveness check (reflectorQuietLimitMs says how old lastProgressAt may be). */
  liveness(): ReflectorLiveness {
    return { path: this.o.path, lastProgressAt: this.lastProgressAt };
  }

  /** The loop is running: it started or finished a step, or reported a failure. */
  private progressed(): void {
    this.lastProgressAt = this.now();
  }

  get synced(): boolean {
    return this.syncedFlag;
  }

  /** The resourceVersion this reflector has seen up to (its last list, event or bookmark). */
  get seenResourceVersion(): string {
    return this.resourceVersion;
  }

  /** False from the first failed list or watch until the next success. */
  connected = false;
  /** When the current run of failures began (ms since epoch); undefined while connected. */
  unhealthySince?: number;
  /** Last time the apiserver answered this reflector (ms since epoch). */
  lastSeen?: number;

  private healthy(): void {
    this.progressed();
    this.connected = true;
    this.unhealthySince = undefined;
    this.lastSeen = this.now();
  }

  start(): void {
    this.loop ??= this.run();
  }

  whenSynced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((r) => this.syncedWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    this.pause.wake();
    await this.loop;
  }

  private backoff(attempt: number): number {
    const policy = { ...REFLECTOR_BACKOFF, baseMs: this.o.backoffBaseMs ?? REFLECTOR_BACKOFF.baseMs, maxMs: this.o.backoffMaxMs ?? REFLECTOR_BACKOFF.maxMs };
    return backoffDelay(attempt, policy, this.o.random);
  }

  private fail(err: Error): void {
    this.progressed();
    this.unhealthySince ??= this.now();
    this.connected = false;
    this.stats.errors++;
    this.stats.lastError = err.message;
    this.stats.lastErrorAt = this.now();
    this.o.onError?.(err);
  }

  private async list(): Promise<void> {
    this.progressed();
    const res = await this.o.listerWatcher.list<T>(this.o.path, { labelSelector: this.o.labelSelector });
    this.stats.lists++;
    const fresh = new Map(res.items.map((i) => { const o = this.store.admit(i); return [storeKey(o), o] as const; }));
    // Emit only the differences, so a relist after a gap repairs state without a storm of events.
    for (const [k, obj] of fresh) {
      const old = this.store.get(k);
      this.store.set(k, obj);
      if (!old) this.o.onEvent?.({ type: 'added', object: obj });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.o.onEvent?.({ type: 'modified', object: obj, old });
    }
    for (const k of [...this.store.keys()]) {
      if (fresh.has(k)) continue;
      const old = this.store.get(k)!;
      this.store.delete(k);
      this.o.onEvent?.({ type: 'deleted', object: old });
    }
    this.healthy();
    this.o.onList?.(this.listReason);
    this.resourceVersion = res.resourceVersion;
    this.nextResync = this.o.resyncMs ? this.now() + this.o.resyncMs : Infinity;
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      for (const w of this.syncedWaiters.splice(0)) w();
    }
  }

  private apply(e: WatchEvent): 'gone' | 'error' | undefined {
    if (e.type === 'ERROR') {
      if (e.object.code === 410) {
        this.listReason = 'gone';
        return 'gone';
      }
      this.listReason = 'error';
      this.fail(new Error(`watch ${this.o.path} on ${this.o.listerWatcher.name}: ${e.object.reason ?? ''} ${e.object.message ?? ''}`.trim()));
      return 'error';
    }
    const raw = e.object as unknown as T;
    if (raw.metadata.resourceVersion) this.resourceVersion = raw.metadata.resourceVersion;
    if (e.type === 'BOOKMARK') return undefined;
    if (e.type === 'DELETED') {
      const k = storeKey(raw);
      if (!this.store.has(k)) return undefined; // already removed after our own delete
      this.store.delete(k);
      this.o.onEvent?.({ type: 'deleted', object: this.store.admit(raw) });
      return undefined;
    }
    // Nothing new when it is our own write, already applied, or older than what we hold.
    const change = upsert(this.store, raw);
    if (change) this.o.onEvent?.(change);
    return undefined;
  }

  /** One watch stream; returns what should happen next. */
  private async watchOnce(): Promise<'again' | 'relist'> {
    const ctl = new AbortController();
    this.current = ctl;
    const timeout = this.o.watchTimeoutSeconds ?? 300;
    const inactivity = this.o.inactivityMs ?? inactivityLimitMs(timeout);
    let outcome: 'again' | 'relist' = 'again';
    let timer = setTimeout(() => ctl.abort(), inactivity);
    const resyncTimer = Number.isFinite(this.nextResync)
      ? setTimeout(() => { outcome = 'relist'; this.listReason = 'resync'; ctl.abort(); }, Math.max(0, this.nextResync - this.now()))
      : undefined;
    this.stats.watches++;
    this.progressed();
    try {
      // The open timeout is shorter than the watchdog, or the watchdog would quietly re-open a
      // watch the apiserver never answers, forever, and the cluster would never be unavailable.
      await this.o.listerWatcher.watch(this.o.path, {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: timeout,
        labelSelector: this.o.labelSelector,
      }, (e) => {
        clearTimeout(timer);
        timer = setTimeout(() => ctl.abort(), inactivity);
        this.progressed();
        if (e.type !== 'ERROR') this.healthy();
        const r = this.apply(e);
        if (r) {
          if (r === 'gone') this.stats.relistsGone++;
          outcome = 'relist';
          ctl.abort();
        }
      }, ctl.signal, Math.min(WATCH_OPEN_TIMEOUT_MS, inactivity / 2), () => {
        // The apiserver answered: the cluster is reachable again even if this collection is
        // idle. Waiting for an event instead kept a cluster "unreachable" after one failed
        // request until something in every failed collection changed: with a watch timeout
        // under 3 s the server sends no bookmarks at all, and otherwise one a minute.
        this.healthy();
      });
    } finally {
      clearTimeout(timer);
      if (resyncTimer) clearTimeout(resyncTimer);
      this.progressed();
    }
    return outcome;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        }
        const next = await this.watchOnce();
        if (next === 'relist') {
          needList = true;
          // A server that keeps answering with errors must not turn into a tight list/watch loop.
          if (this.listReason === 'error') {
            await this.pause.sleep(this.backoff(attempt++));
            this.progressed();
          }
          else attempt = 0;
        } else {
          attempt = 0;
        }
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof KubeApiError && err.status === 410) {
          this.stats.relistsGone++;
          this.listReason = 'gone';
          needList = true;
          continue;
        }
        this.fail(err as Error);
        await this.pause.sleep(this.backoff(attempt++));
        this.progressed();
      }
    }
  }
}
