// Kubernetes Events on user NetworkPolicies that are bad input (an unknown cluster in the
// annotation, a selector that does not parse), so `kubectl describe networkpolicy` says why
// no companion is written. Posted by `mcsync sync` (and the controller), never by plan or
// status. The name is derived from the problem, so the same problem posted again is a 409
// and skipped: one Event per distinct problem, not one per run.
import { hash8 } from '../model/canonical.ts';
import type { PolicyProblem } from '../model/policy/types.ts';
import { KubeApiError, type ApiClient } from '../kube/client.ts';
import { PATHS } from '../kube/read.ts';
import type { NetworkPolicy } from '../vocab/objects.ts';

export const INVALID_REASON = 'McsyncInvalid';

/**
 * A Warning Event on `involved`, named after that object and a hash of what it says, so the
 * same Event posted again is a 409 (skipped): Event names are DNS subdomains of at most 253
 * characters. Every Event mcsync posts is built here.
 */
export function warningEvent(
  involved: { apiVersion: string; kind: string; namespace: string; name: string; uid?: string; resourceVersion?: string },
  reason: string,
  message: string,
  now: Date,
  /** Normal: news, not a problem. everyTime: the same message posted again is a new Event (a state that flips back is news again). */
  opts: { type?: 'Normal' | 'Warning'; everyTime?: boolean } = {},
): Record<string, unknown> {
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const suffix = `.mcsync-${hash8(`${involved.uid ?? ''}|${message}${opts.everyTime ? `|${now.toISOString()}` : ''}`)}`;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.name.slice(0, 253 - suffix.length).replace(/[-.]+$/, '')}${suffix}`, namespace: involved.namespace },
    involvedObject: involved,
    reason,
    type: opts.type ?? 'Warning',
    message,
    source: { component: 'mcsync' },
    reportingComponent: 'mcsync',
    reportingInstance: 'mcsync',
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

export function problemEvent(problem: PolicyProblem, policy: NetworkPolicy | undefined, now: Date): Record<string, unknown> {
  return warningEvent({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    namespace: problem.namespace,
    name: problem.name,
    ...(policy?.metadata.uid !== undefined ? { uid: policy.metadata.uid } : {}),
    ...(policy?.metadata.resourceVersion !== undefined ? { resourceVersion: policy.metadata.resourceVersion } : {}),
  }, INVALID_REASON, `mcsync writes no companion for this policy: ${problem.message}`, now);
}

export interface EventResult {
  problem: PolicyProblem;
  outcome: 'posted' | 'exists' | 'failed';
  detail?: string;
}

/** Posts one Event per problem into the cluster of the policy; a failure is reported, never thrown. */
export async function postProblemEvents(
  clients: ReadonlyMap<string, ApiClient>,
  problems: readonly PolicyProblem[],
  policies: ReadonlyMap<string, readonly NetworkPolicy[]>,
  now: Date = new Date(),
): Promise<EventResult[]> {
  return Promise.all(problems.map(async (problem): Promise<EventResult> => {
    const client = clients.get(problem.cluster);
    if (!client) return { problem, outcome: 'failed', detail: `cluster ${problem.cluster} is not connected` };
    const policy = policies.get(problem.cluster)?.find((p) => p.metadata.namespace === problem.namespace && p.metadata.name === problem.name);
    return { problem, ...await postEvent(client, problem.namespace, problemEvent(problem, policy, now)) };
  }));
}

/** POSTs one Event; a name already taken (409) means it was posted before. Never throws. */
export async function postEvent(client: ApiClient, namespace: string, event: Record<string, unknown>): Promise<{ outcome: 'posted' | 'exists' | 'failed'; detail?: string }> {
  try {
    await client.request('POST', PATHS.events(namespace), { body: event });
    return { outcome: 'posted' };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 409) return { outcome: 'exists' };
    return { outcome: 'failed', detail: (err as Error).message };
  }
}
