// Applies a plan to one destination: bounded concurrency, phases in dependency order
// (namespaces, services, slices, then deletions), retries with backoff on throttling, 5xx and
// lost connections, and the ownership guard re-checked on every conflict: an object that is
// no longer mcsync's by the time we write is left alone, never overwritten.
import { isOwned } from '../vocab/labels.ts';
import { overlayService, replicaMatches, type ReplicaKind, type Replica } from '../model/projection.ts';
import { serviceImportProjection } from '../model/mcs/projection.ts';
import { MCS_API_VERSION, type ServiceExport, type ServiceImport } from '../vocab/mcs.ts';
import type { Action } from '../model/types.ts';
import type { EndpointSlice, Namespace, NetworkPolicy, ObjectRef, ResourceKind, Service } from '../vocab/objects.ts';
import { KubeApiError, KubeConnectionError, type ApiClient } from './client.ts';
import { WRITE_RETRY_BACKOFF, backoffDelay } from './backoff.ts';
import { PATHS } from './read.ts';
import { sleep } from './sleep.ts';

export const FIELD_MANAGER = 'mcsync';

export interface WriteResult {
  action: Action;
  outcome: 'done' | 'skipped' | 'failed';
  detail?: string;
  attempts: number;
  /** The object as the server holds it after a create or update (or found, when skipped as already right). */
  object?: AnyObject;
}

export interface WriteOptions {
  instance: string;
  concurrency: number;
  maxAttempts?: number;
  /** Base of the exponential backoff; tests may shorten it. */
  backoffMs?: number;
  onResult?: (r: WriteResult) => void;
  /** The write budget of this destination: taken before every request that writes. */
  limiter?: { take(): Promise<void> };
  /** Asked right before every write; a reason refuses it (e.g. this instance stopped leading). */
  refuse?: () => string | undefined;
  /** Recorded in managedFields; instances may tell themselves apart with their own. */
  fieldManager?: string;
}

type AnyObject = Service | EndpointSlice | Namespace | NetworkPolicy | ServiceImport | ServiceExport;

const TYPE: Record<ResourceKind, { apiVersion: string; kind: string }> = {
  Service: { apiVersion: 'v1', kind: 'Service' },
  EndpointSlice: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
  Namespace: { apiVersion: 'v1', kind: 'Namespace' },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  ServiceImport: { apiVersion: MCS_API_VERSION, kind: 'ServiceImport' },
  ServiceExport: { apiVersion: MCS_API_VERSION, kind: 'ServiceExport' },
};

function collectionPath(kind: ResourceKind, ns?: string): string {
  switch (kind) {
    case 'Namespace': return PATHS.namespaces();
    case 'NetworkPolicy': return PATHS.networkPolicies(ns!);
    case 'ServiceImport': return PATHS.serviceImports(ns!);
    case 'ServiceExport': return PATHS.serviceExports(ns!);
    case 'Service': return PATHS.services(ns!);
    case 'EndpointSlice': return PATHS.slices(ns!);
  }
}

function objectPath(kind: ResourceKind, ns: string | undefined, name: string): string {
  switch (kind) {
    case 'Namespace': return PATHS.namespace(name);
    case 'NetworkPolicy': return PATHS.networkPolicy(ns!, name);
    case 'ServiceImport': return PATHS.serviceImport(ns!, name);
    case 'ServiceExport': return PATHS.serviceExport(ns!, name);
    case 'Service': return PATHS.service(ns!, name);
    case 'EndpointSlice': return PATHS.slice(ns!, name);
  }
}

/**
 * Order in which actions may run: a slice needs its namespace; companion NetworkPolicies come
 * after the Service phases (they are a plan of their own); a ServiceImport after its derived
 * Service (whose clusterset IP it shows) and statuses after the objects they describe;
 * deletions come last.
 */
function phase(a: Action): number {
  if (a.verb === 'delete') return a.ref.kind === 'Service' || a.ref.kind === 'Namespace' ? 5 : 4;
  if (a.verb === 'update' && a.subresource === 'status') return 3;
  if (a.ref.kind === 'Namespace') return 0;
  if (a.ref.kind === 'NetworkPolicy' || a.ref.kind === 'ServiceImport') return 3;
  return a.ref.kind === 'Service' ? 1 : 2;
}

function retryable(err: unknown): boolean {
  // A credential that cannot be had (a plugin that fails, a certificate file that cannot be read) is not fixed by trying again at once.
  if (err instanceof KubeConnectionError) return err.kind !== 'auth-plugin' && err.kind !== 'credential-file';
  if (err instanceof KubeApiError) return err.status === 429 || err.status >= 500;
  return false;
}

async function runOne(client: ApiClient, action: Action, opts: WriteOptions): Promise<WriteResult> {
  const max = opts.maxAttempts ?? 6;
  let current: Action = action;
  for (let attempt = 1; ; attempt++) {
    try {
      await opts.limiter?.take();
      const refused = opts.refuse?.();
      if (refused) return { action, outcome: 'failed', detail: refused, attempts: attempt };
      const outcome = await attemptOnce(client, current, opts);
      if (outcome.next) {
        current = outcome.next;
        if (attempt < max) continue;
        return { action, outcome: 'failed', detail: 'kept conflicting with concurrent changes', attempts: attempt };
      }
      return { action, outcome: outcome.skipped ? 'skipped' : 'done', detail: outcome.skipped, attempts: attempt, object: outcome.object };
    } catch (err) {
      if (attempt < max && retryable(err)) {
        const ra = err instanceof KubeApiError && err.retryAfterSeconds ? err.retryAfterSeconds * 1000 : 0;
        const policy = { ...WRITE_RETRY_BACKOFF, baseMs: opts.backoffMs ?? WRITE_RETRY_BACKOFF.baseMs };
        await sleep(Math.max(ra, backoffDelay(attempt - 1, policy)));
        continue;
      }
      return { action, outcome: 'failed', detail: (err as Error).message, attempts: attempt };
    }
  }
}

interface AttemptOutcome {
  /** A rewritten action to try next (after a conflict), or nothing when finished. */
  next?: Action;
  /** Finished without writing, and why. */
  skipped?: string;
  object?: AnyObject;
}

/**
 * A status write: the object's status subresource only. A user's ServiceExport is not mcsync's,
 * but its conditions are the MCS controller's to report, so a conflict re-reads it and lays the
 * same status over the fresh copy; an owned ServiceImport is re-checked for ownership first.
 */
async function attemptStatus(client: ApiClient, action: Extract<Action, { verb: 'update' }>, query: Record<string, string>, opts: WriteOptions): Promise<AttemptOutcome> {
  const kind = action.ref.kind;
  const meta = action.object.metadata;
  const path = `${objectPath(kind, meta.namespace, meta.name)}/status`;
  try {
    return { object: await client.request<AnyObject>('PUT', path, { body: { ...TYPE[kind], ...action.object }, query }) };
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    if (err.status === 404) return { skipped: 'gone' };
    if (err.status !== 409) throw err;
    const live = await client.request<ServiceImport | ServiceExport>('GET', objectPath(kind, meta.namespace, meta.name));
    if (kind === 'ServiceImport' && !isOwned(live.metadata, opts.instance)) return { skipped: `ServiceImport ${meta.namespace}/${meta.name} is no longer owned by mcsync; left alone` };
    const wanted = action.object as ServiceImport | ServiceExport;
    return { next: { ...action, object: { ...live, status: wanted.status } as ServiceImport | ServiceExport } };
  }
}

async function attemptOnce(client: ApiClient, action: Action, opts: WriteOptions): Promise<AttemptOutcome> {
  const query = { fieldManager: opts.fieldManager ?? FIELD_MANAGER };
  const kind = action.ref.kind;
  if (action.verb === 'update' && action.subresource === 'status') return attemptStatus(client, action, query, opts);
  if (action.verb === 'create') {
    const meta = action.object.metadata;
    const body = { ...TYPE[kind], ...action.object, metadata: { ...meta, resourceVersion: undefined, uid: undefined } };
    try {
      return { object: await client.request<AnyObject>('POST', collectionPath(kind, meta.namespace), { body, query }) };
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.status !== 409) throw err;
      if (kind === 'Namespace') return { skipped: 'namespace already exists' };
      // Someone made it between our read and this write: ours (an earlier run) → update it; not ours → leave it.
      const live = await client.request<AnyObject>('GET', objectPath(kind, meta.namespace, meta.name));
      if (!isOwned(live.metadata, opts.instance)) return { skipped: `${kind} ${meta.namespace}/${meta.name} appeared and is not owned by mcsync; left alone` };
      if (matches(kind, live, action.object)) return { skipped: 'already as wanted', object: live };
      return { next: { ...action, verb: 'update', object: refreshed(kind, live, action.object) } as Action };
    }
  }
  if (action.verb === 'update') {
    const meta = action.object.metadata;
    try {
      return { object: await client.request<AnyObject>('PUT', objectPath(kind, meta.namespace, meta.name), { body: { ...TYPE[kind], ...action.object }, query }) };
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      if (err.status === 404) {
        // A user's ServiceExport is only ever written through its status, never re-created by mcsync.
        const object = action.object;
        if (kind === 'ServiceExport' || object.kind === 'ServiceExport') return { skipped: 'gone' };
        return { next: { ...action, verb: 'create', object: stripIdentity(object as Exclude<typeof object, ServiceExport>) } };
      }
      if (err.status !== 409) throw err;
      const live = await client.request<AnyObject>('GET', objectPath(kind, meta.namespace, meta.name));
      if (!isOwned(live.metadata, opts.instance)) return { skipped: `${kind} ${meta.namespace}/${meta.name} is no longer owned by mcsync; left alone` };
      // Planned against a stale copy, but the live object may already be what we want: then a write would change nothing.
      if (matches(kind, live, action.object)) return { skipped: 'already as wanted', object: live };
      return { next: { ...action, object: refreshed(kind, live, action.object) } as Action };
    }
  }
  const ref: ObjectRef = action.ref;
  try {
    await client.request('DELETE', objectPath(ref.kind, ref.namespace, ref.name), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid: ref.uid, resourceVersion: ref.resourceVersion } },
    });
    return {};
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    if (err.status === 404) return { skipped: 'already gone' };
    if (err.status !== 409) throw err;
    const live = await client.request<AnyObject>('GET', objectPath(ref.kind, ref.namespace, ref.name)).catch((e: unknown) => {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    });
    if (!live) return { skipped: 'already gone' };
    if (!isOwned(live.metadata, opts.instance)) return { skipped: `${ref.kind} ${ref.namespace}/${ref.name} is no longer owned by mcsync; left alone` };
    return { next: { ...action, ref: { ...ref, uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion } } };
  }
}

function matches(kind: ResourceKind, live: AnyObject, wanted: AnyObject): boolean {
  if (kind === 'ServiceImport') return serviceImportProjection(live as ServiceImport) === serviceImportProjection(wanted as ServiceImport);
  return replicaMatches(kind as ReplicaKind, live as Replica, wanted as Replica);
}

function stripIdentity<T extends AnyObject>(obj: T): T {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

function refreshed(kind: ResourceKind, live: AnyObject, wanted: AnyObject): AnyObject {
  if (kind === 'Service') return overlayService(live as Service, wanted as Service);
  return { ...wanted, metadata: { ...wanted.metadata, resourceVersion: live.metadata.resourceVersion, uid: live.metadata.uid } };
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Applies every action for one destination cluster; never throws for a single failed write. */
export async function applyActions(client: ApiClient, actions: Action[], opts: WriteOptions): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  const phases = Map.groupBy(actions, phase);
  for (const p of [...phases.keys()].sort((x, y) => x - y)) {
    const done = await mapLimit(phases.get(p)!, opts.concurrency, async (a) => {
      const r = await runOne(client, a, opts);
      opts.onResult?.(r);
      return r;
    });
    results.push(...done);
  }
  return results;
}
