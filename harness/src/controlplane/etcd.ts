// Direct access to a harness cluster's etcd through its v3 JSON gateway, for tests that need
// storage to change where no apiserver can see it: a key deleted behind the apiserver's back,
// the revision moved on, history compacted away so an old resourceVersion is really gone.
// Keys and values travel base64-encoded and 64-bit numbers as strings, as the gateway wants.
import { HarnessError } from '../util/errors.ts';
import type { ClusterInfo } from './cluster.ts';

type EtcdCluster = Pick<ClusterInfo, 'name' | 'etcdUrl'>;

interface ResponseHeader {
  header?: { revision?: string };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Where Kubernetes keeps a namespaced object, e.g. registryKey('services/specs', 'shop', 'cart'). */
export const registryKey = (resource: string, namespace: string, name: string) => `/registry/${resource}/${namespace}/${name}`;

async function call<T>(cluster: EtcdCluster, path: string, body: unknown): Promise<T> {
  if (!cluster.etcdUrl) throw new HarnessError(`cluster ${cluster.name} was not started by the harness: its etcd is out of reach`);
  const res = await fetch(`${cluster.etcdUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  // The gateway answers gRPC errors (e.g. an already compacted revision) with a non-200 and a
  // JSON {code, message}; pass the message on, it is the useful part.
  if (!res.ok) throw new HarnessError(`etcd ${path} on ${cluster.name}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function revisionOf(r: ResponseHeader, what: string): number {
  const rev = Number(r.header?.revision);
  if (!Number.isSafeInteger(rev)) throw new HarnessError(`etcd ${what}: no revision in its answer`);
  return rev;
}

/** The store's current revision, which is what Kubernetes calls the latest resourceVersion. */
export async function currentRevision(cluster: EtcdCluster): Promise<number> {
  // A range over one key with a count-only answer is the cheapest request that carries the header.
  const r = await call<ResponseHeader>(cluster, '/v3/kv/range', { key: b64('/'), count_only: true });
  return revisionOf(r, 'range');
}

/** Writes a raw value; returns the revision the write created. */
export async function putKey(cluster: EtcdCluster, key: string, value: string): Promise<number> {
  const r = await call<ResponseHeader>(cluster, '/v3/kv/put', { key: b64(key), value: b64(value) });
  return revisionOf(r, 'put');
}

/** Deletes one key; returns how many keys went (0 or 1) and the revision afterwards. */
export async function deleteKey(cluster: EtcdCluster, key: string): Promise<{ deleted: number; revision: number }> {
  const r = await call<ResponseHeader & { deleted?: string }>(cluster, '/v3/kv/deleterange', { key: b64(key) });
  return { deleted: Number(r.deleted ?? 0), revision: revisionOf(r, 'deleterange') };
}

/** True when the key exists at the current revision. */
export async function hasKey(cluster: EtcdCluster, key: string): Promise<boolean> {
  const r = await call<{ count?: string }>(cluster, '/v3/kv/range', { key: b64(key), count_only: true });
  return Number(r.count ?? 0) > 0;
}

/**
 * Discards history before `revision` (default: the current one), physically, so any watch or
 * read at an older revision fails with "required revision has been compacted". Returns the
 * revision compacted to.
 */
export async function compact(cluster: EtcdCluster, revision?: number): Promise<number> {
  const rev = revision ?? await currentRevision(cluster);
  await call(cluster, '/v3/kv/compaction', { revision: String(rev), physical: true });
  return rev;
}
