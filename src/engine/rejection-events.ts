// Kubernetes Events on a source Service whose endpoints the guard dropped, so the owners of the
// source see, with `kubectl describe service`, that mcsync replicates less than the slices say
// and why. One Event per Service and distinct set of rejections (the name is derived from
// them): the same rejections seen again are a 409 and skipped.
import type { Rejection } from '../model/endpoint-guard.ts';
import type { ApiClient } from '../kube/client.ts';
import type { Service } from '../vocab/objects.ts';
import { postEvent, warningEvent } from './events.ts';

export const REJECTED_REASON = 'McsyncRejectedEndpoints';

export interface RejectionEventResult {
  cluster: string;
  namespace: string;
  name: string;
  outcome: 'posted' | 'exists' | 'failed';
  detail?: string;
}

/** "2 outside-pod-cidrs (10.9.0.1, 10.101.0.4), 1 link-local (169.254.169.254)": a few examples per reason. */
export function describeRejections(list: readonly Rejection[]): string {
  const byReason = Map.groupBy(list, (r) => r.reason);
  return [...byReason].map(([reason, rs]) => {
    const n = rs.reduce((sum, r) => sum + r.count, 0);
    const shown = rs.slice(0, 3).map((r) => r.what || '""').join(', ');
    return `${n} ${reason} (${shown}${rs.length > 3 ? ', ...' : ''})`;
  }).join(', ');
}

export function rejectionEvent(list: readonly Rejection[], service: Service | undefined, now: Date): Record<string, unknown> {
  const first = list[0]!;
  const message = `mcsync does not replicate these endpoints of this Service: ${describeRejections(list)}`.slice(0, 1024);
  return warningEvent({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: first.namespace,
    name: first.name,
    ...(service?.metadata.uid !== undefined ? { uid: service.metadata.uid } : {}),
  }, REJECTED_REASON, message, now);
}

/** One Event per source Service with rejections, in the source cluster; failures are reported, never thrown. */
export async function postRejectionEvents(
  clients: ReadonlyMap<string, ApiClient>,
  rejected: readonly Rejection[],
  serviceOf: (cluster: string, namespace: string, name: string) => Service | undefined,
  now: Date = new Date(),
): Promise<RejectionEventResult[]> {
  const groups = Map.groupBy(rejected, (r) => `${r.cluster}\u0000${r.namespace}\u0000${r.name}`);
  return Promise.all([...groups.values()].map(async (list): Promise<RejectionEventResult> => {
    const { cluster, namespace, name } = list[0]!;
    const client = clients.get(cluster);
    if (!client) return { cluster, namespace, name, outcome: 'failed', detail: `cluster ${cluster} is not connected` };
    return { cluster, namespace, name, ...await postEvent(client, namespace, rejectionEvent(list, serviceOf(cluster, namespace, name), now)) };
  }));
}
