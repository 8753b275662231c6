// Builders for the companion planner's tests, and a pure stand-in for an apiserver that applies
// a PolicyPlan's actions to a cluster's NetworkPolicies the way a real one would (refusing a
// create over an existing name, an update or delete whose preconditions do not hold).
import type { Namespace, NetworkPolicy, NetworkPolicyRule, Pod } from '../../vocab/objects.ts';
import { REMOTE_CLUSTERS } from '../../vocab/labels.ts';
import type { Action } from '../types.ts';
import { cluster, config } from '../fixtures.test-util.ts';
import type { Config } from '../../config/types.ts';

export function pod(namespace: string, name: string, ips: string[], labels: Record<string, string> = {}, over: Partial<Pod['status']> & { deleting?: boolean; hostNetwork?: boolean } = {}): Pod {
  const { deleting, hostNetwork, ...status } = over;
  const p: Pod = {
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, labels },
    status: { phase: 'Running', ...(ips.length > 0 ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}), ...status },
  };
  if (deleting) p.metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
  if (hostNetwork) p.spec = { hostNetwork: true };
  return p;
}

export function ns(name: string, labels: Record<string, string> = {}): Namespace {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export interface PolicyOptions {
  remotes?: string;
  ingress?: NetworkPolicyRule[];
  egress?: NetworkPolicyRule[];
  policyTypes?: ('Ingress' | 'Egress')[];
  podSelector?: NetworkPolicy['spec']['podSelector'];
  labels?: Record<string, string>;
}

export function policy(namespace: string, name: string, o: PolicyOptions = {}): NetworkPolicy {
  const p: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: '1', ...(o.labels ? { labels: o.labels } : {}) },
    spec: { podSelector: o.podSelector ?? { matchLabels: { app: 'server' } } },
  };
  if (o.remotes !== undefined) p.metadata.annotations = { [REMOTE_CLUSTERS]: o.remotes };
  if (o.policyTypes) p.spec.policyTypes = o.policyTypes;
  if (o.ingress) p.spec.ingress = o.ingress;
  if (o.egress) p.spec.egress = o.egress;
  return p;
}

/** Three clusters a, b, c. */
export function trio(over: Partial<Config> = {}): Config {
  return config([cluster('a'), cluster('b'), cluster('c')], over);
}

let serial = 0;

/** Applies actions to one cluster's NetworkPolicies as an apiserver would; throws on what it would refuse. */
export function applyPolicyActions(objects: readonly NetworkPolicy[], actions: readonly Action[]): NetworkPolicy[] {
  const byKey = new Map(objects.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, structuredClone(o)]));
  for (const a of actions) {
    const k = `${a.ref.namespace}/${a.ref.name}`;
    const live = byKey.get(k);
    if (a.verb === 'create') {
      if (live) throw new Error(`create over existing ${k}`);
      const obj = structuredClone(a.object) as NetworkPolicy;
      serial++;
      obj.metadata = { ...obj.metadata, uid: `uid-new-${serial}`, resourceVersion: String(1000 + serial) };
      byKey.set(k, obj);
    } else if (a.verb === 'update') {
      if (!live) throw new Error(`update of missing ${k}`);
      if (live.metadata.resourceVersion !== a.ref.resourceVersion) throw new Error(`update of ${k} with a stale resourceVersion`);
      const obj = structuredClone(a.object) as NetworkPolicy;
      serial++;
      obj.metadata = { ...obj.metadata, uid: live.metadata.uid, resourceVersion: String(1000 + serial) };
      byKey.set(k, obj);
    } else {
      if (!live) throw new Error(`delete of missing ${k}`);
      if (a.ref.uid !== undefined && a.ref.uid !== live.metadata.uid) throw new Error(`delete of ${k}: uid precondition`);
      byKey.delete(k);
    }
  }
  return [...byKey.values()];
}
