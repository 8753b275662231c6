// Gathering: what doctor reads from each cluster. Never throws for one cluster's sake: every
// answer, error included, becomes a fact for the verdicts.
import type { ClusterConfig, Config } from '../../config/types.ts';
import { KubeApiError, type KubeClient } from '../../kube/client.ts';
import { PATHS } from '../../kube/read.ts';
import type { Service } from '../../vocab/objects.ts';
import { ABOUT_API_VERSION, CLUSTER_ID_PROPERTY, type ClusterProperty } from '../../vocab/inventory.ts';
import { clientFor, type Connected } from '../clusters.ts';
import { requiredAccess, type AccessNeed, type Mode } from '../requirements.ts';
import { describeFailure } from './failure.ts';
import type { ClusterFacts, Outcome, Reachability } from './types.ts';

const GROUP_VERSIONS = {
  endpointslices: '/apis/discovery.k8s.io/v1',
  leases: '/apis/coordination.k8s.io/v1',
  mcs: '/apis/multicluster.x-k8s.io/v1alpha1',
  mcsBeta: '/apis/multicluster.x-k8s.io/v1beta1',
} as const;

const TIMEOUT_MS = 10_000;

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof KubeApiError) return { ok: false, status: err.status, error: err.message };
    return { ok: false, error: (err as Error).message };
  }
}

/** A cluster connectAvailable gave up on, probed again to learn why in terms a person can act on. */
async function probe(c: ClusterConfig): Promise<Reachability> {
  let client: KubeClient | undefined;
  try {
    client = clientFor(c);
    const v = await client.request<{ gitVersion: string }>('GET', '/version', { timeoutMs: TIMEOUT_MS });
    // It failed a moment ago: an apiserver that comes and goes is worth a failed check too.
    return { ok: false, reason: 'intermittent', message: `did not answer when mcsync connected, then answered (${v.gitVersion}): check the apiserver's health and the network path, then run doctor again` };
  } catch (err) {
    return { ok: false, ...describeFailure(err) };
  } finally {
    client?.close();
  }
}

async function resources(client: KubeClient, path: string): Promise<string[]> {
  const list = await client.request<{ resources?: { name: string }[] }>('GET', path, { timeoutMs: TIMEOUT_MS });
  return (list.resources ?? []).map((r) => r.name);
}

async function allowed(client: KubeClient, need: AccessNeed): Promise<boolean> {
  const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    timeoutMs: TIMEOUT_MS,
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: need.verb, group: need.group, resource: need.resource, ...(need.namespace !== undefined ? { namespace: need.namespace } : {}) } },
    },
  });
  return review.status?.allowed === true;
}

interface NodeLite {
  metadata: { name: string };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

async function nodeCidrs(client: KubeClient): Promise<{ node: string; cidr: string }[]> {
  const nodes = await client.list<NodeLite>('/api/v1/nodes');
  return nodes.items.flatMap((n) => [...new Set([...(n.spec?.podCIDRs ?? []), ...(n.spec?.podCIDR ? [n.spec.podCIDR] : [])])].map((cidr) => ({ node: n.metadata.name, cidr })));
}

export async function gather(config: Config, c: ClusterConfig, conn: Connected | undefined, mode: Mode = {}): Promise<ClusterFacts> {
  if (!conn) return { cluster: c.name, reach: await probe(c) };
  const { client } = conn;
  const needs = requiredAccess(config, c.name, mode);
  const [endpointslices, leases, mcs, mcsBeta, access, nodes, kubernetesIp, clusterId] = await Promise.all([
    attempt(() => resources(client, GROUP_VERSIONS.endpointslices)),
    attempt(() => resources(client, GROUP_VERSIONS.leases)),
    attempt(() => resources(client, GROUP_VERSIONS.mcs)),
    attempt(() => resources(client, GROUP_VERSIONS.mcsBeta)),
    Promise.all(needs.map(async (need) => ({ need, allowed: await attempt(() => allowed(client, need)) }))),
    attempt(() => nodeCidrs(client)),
    attempt(async () => (await client.request<Service>('GET', PATHS.service('default', 'kubernetes'), { timeoutMs: TIMEOUT_MS })).spec.clusterIP ?? ''),
    attempt(() => clusterIdOf(client)),
  ]);
  return {
    cluster: c.name,
    reach: { ok: true, version: conn.version, server: client.server },
    discovery: { endpointslices, leases, mcs, mcsBeta },
    access,
    nodeCidrs: nodes,
    kubernetesIp,
    clusterId,
  };
}

/** The cluster's id by the About API (KEP-2149), or null when it has none or the API is not installed. */
async function clusterIdOf(client: KubeClient): Promise<string | null> {
  try {
    const p = await client.request<ClusterProperty>('GET', `/apis/${ABOUT_API_VERSION}/clusterproperties/${CLUSTER_ID_PROPERTY}`, { timeoutMs: TIMEOUT_MS });
    return typeof p.spec?.value === 'string' ? p.spec.value : null;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return null;
    throw err;
  }
}

