// Policy keys: the work-queue name of one user NetworkPolicy, "policy:<cluster>/<namespace>/<name>".
// They share the queue with Service keys ("namespace/name"); a namespace never contains ':', so
// the prefix keeps the two apart, and the cluster is part of the key because a policy and its
// companions live in one cluster, not in every destination like a replica.

export type PolicyKey = string;

const PREFIX = 'policy:';

export function policyKey(cluster: string, namespace: string, name: string): PolicyKey {
  return `${PREFIX}${cluster}/${namespace}/${name}`;
}

export function isPolicyKey(key: string): key is PolicyKey {
  return key.startsWith(PREFIX);
}

/** The inverse of policyKey; cluster names and namespaces never contain '/'. */
export function splitPolicyKey(key: PolicyKey): { cluster: string; namespace: string; name: string } {
  const rest = key.slice(PREFIX.length);
  const a = rest.indexOf('/');
  const b = rest.indexOf('/', a + 1);
  return { cluster: rest.slice(0, a), namespace: rest.slice(a + 1, b), name: rest.slice(b + 1) };
}
