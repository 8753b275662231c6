// A rule's peers evaluated against one remote cluster, as Kubernetes would evaluate them there:
// podSelector alone means the policy's own namespace (the namespace of the same name in the
// remote cluster), namespaceSelector alone every pod of the matching namespaces, both together
// the matching pods of the matching namespaces. ipBlock peers are not pods and add nothing.
import type { NetworkPolicyPeer, Pod } from '../../vocab/objects.ts';
import { namespaceOf } from '../../vocab/keys.ts';
import { selectorMatches } from './selector.ts';
import type { RemotePods } from './types.ts';

/** Set by the apiserver on every namespace; namespaceSelector peers commonly select by it. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A remote cluster's pods grouped by namespace, and its namespaces' labels, built once per snapshot. */
export interface RemoteIndex {
  cluster: string;
  podsByNamespace: Map<string, Pod[]>;
  namespaceLabels: Map<string, Record<string, string>>;
}

/**
 * Whether a pod is a peer at all: it has an address, it is not going away and it has not
 * finished. Readiness does not matter (policies select pods, not endpoints); a terminating pod
 * leaves at once because its address may be handed to another pod next.
 */
export function podCounts(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp !== undefined) return false;
  if (pod.spec?.hostNetwork === true) return false;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return podAddresses(pod).length > 0;
}

/** Every address of a pod: status.podIPs, or status.podIP where an older server sets only that. */
export function podAddresses(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip) => typeof ip === 'string' && ip !== '');
  if (ips.length > 0) return ips;
  const one = pod.status?.podIP;
  return one ? [one] : [];
}

const cache = new WeakMap<RemotePods, RemoteIndex>();

export function indexRemote(remote: RemotePods): RemoteIndex {
  const hit = cache.get(remote);
  if (hit) return hit;
  const podsByNamespace = new Map<string, Pod[]>();
  for (const pod of remote.pods) {
    if (!podCounts(pod)) continue;
    const ns = namespaceOf(pod.metadata);
    const list = podsByNamespace.get(ns);
    if (list) list.push(pod);
    else podsByNamespace.set(ns, [pod]);
  }
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const ns of remote.namespaces) {
    if (ns.metadata.deletionTimestamp !== undefined) continue;
    namespaceLabels.set(ns.metadata.name, { ...ns.metadata.labels, [NAMESPACE_NAME_LABEL]: ns.metadata.name });
  }
  const index = { cluster: remote.cluster, podsByNamespace, namespaceLabels };
  cache.set(remote, index);
  return index;
}

function labelsOfNamespace(index: RemoteIndex, ns: string): Record<string, string> {
  return index.namespaceLabels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns };
}

/** The pods of one peer in the remote cluster; none for an ipBlock peer. */
function peerPods(peer: NetworkPolicyPeer, policyNamespace: string, index: RemoteIndex): Pod[] {
  if (peer.ipBlock !== undefined) return [];
  if (peer.podSelector === undefined && peer.namespaceSelector === undefined) return [];
  const namespaces = peer.namespaceSelector === undefined
    ? [policyNamespace]
    : [...index.podsByNamespace.keys()].filter((ns) => selectorMatches(peer.namespaceSelector!, labelsOfNamespace(index, ns)));
  const out: Pod[] = [];
  for (const ns of namespaces) {
    for (const pod of index.podsByNamespace.get(ns) ?? []) {
      if (peer.podSelector === undefined || selectorMatches(peer.podSelector, pod.metadata.labels)) out.push(pod);
    }
  }
  return out;
}

/** The remote pods any of a rule's peers match, each once. */
export function matchingPods(peers: readonly NetworkPolicyPeer[], policyNamespace: string, index: RemoteIndex): Pod[] {
  const seen = new Set<Pod>();
  for (const peer of peers) for (const pod of peerPods(peer, policyNamespace, index)) seen.add(pod);
  return [...seen];
}
