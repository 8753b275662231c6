// What `networkPolicies: true` adds to the controller's watches, and which policy keys a change
// to each of them touches.
//
// A cluster that renders companions (every destination) is watched for all its NetworkPolicies,
// cluster-wide, once: the user's policies and this instance's companions are the same
// collection, so one store holds both, its index grouping each companion under the user policy
// it belongs to. Every cluster a spanned policy can name is watched for its Pods, cluster-wide,
// and its Namespaces — through the destination's Namespace store where the cluster already has
// one, never by a second watch of the same collection.
//
// A user policy change touches its own key and tells the index which remotes it names; a
// companion change touches the key of its user policy; a pod or namespace change in a remote
// touches every spanned policy that names the remote, and only when something a peer selector
// or a rendering could read changed (labels, addresses, phase, going away), so the status
// churn of pods costs nothing.
import type { Config } from '../../config/types.ts';
import { cmp } from '../../model/canonical.ts';
import { spannedRemotes } from '../../model/policy/plan.ts';
import { COMPANION_OF, REMOTE_CLUSTERS, isOwned } from '../../vocab/labels.ts';
import { namespaceOf, storeKey } from '../../vocab/keys.ts';
import type { Namespace, NetworkPolicy, Pod } from '../../vocab/objects.ts';
import { podForCache } from '../../model/cache-projections.ts';
import { PATHS } from '../../kube/read.ts';
import type { CacheStore, StoreEvent } from '../../kube/store.ts';
import type { InformerRegistry } from './informers.ts';
import { policyKey, type PolicyKey } from './policy-keys.ts';
import { namespacesNeed } from './topology.ts';

/** A cluster whose NetworkPolicies may be spanned: user policies and owned companions, one store. */
export interface PolicyCaches {
  cluster: string;
  /** Indexed: an owned companion under "<namespace>/<name>" of its user policy; user policies not at all. */
  policies: CacheStore<NetworkPolicy>;
}

/** A cluster whose pods spanned policies elsewhere may admit. */
export interface RemoteCaches {
  cluster: string;
  pods: CacheStore<Pod>;
  namespaces: CacheStore<Namespace>;
}

/** The companion index: which user policy an owned companion belongs to (its annotation). */
export function companionOwner(instance: string): (np: NetworkPolicy) => string | undefined {
  return (np) => (isOwned(np.metadata, instance) ? np.metadata.annotations?.[COMPANION_OF] : undefined);
}

export interface PolicyTopology {
  /** Clusters that render companions (the written ones). */
  policies: Map<string, PolicyCaches>;
  /** Clusters whose pods a spanned policy elsewhere may name. */
  remotes: Map<string, RemoteCaches>;
  /** Which remotes each spanned policy names. */
  index: PolicyIndex;
}

/** What a watch event means to the policy capability: keys of `cluster`'s policies; `remote` when a remote's pods or namespaces changed. */
export type PolicyHandler = (keys: PolicyKey[], remote?: string) => void;

/**
 * Companions' reads: NetworkPolicies where companions are rendered (`written`), and Pods and
 * Namespaces of every cluster a policy there can name (any other configured cluster).
 */
export function policyTopology(config: Config, written: readonly string[], registry: InformerRegistry, on?: PolicyHandler): PolicyTopology {
  const index = new PolicyIndex(config);
  const policies = new Map<string, PolicyCaches>();
  const remotes = new Map<string, RemoteCaches>();
  for (const cluster of written) policies.set(cluster, declarePolicyCluster(registry, config, cluster, index, on));
  for (const { name: cluster } of config.clusters) {
    if (!written.some((d) => d !== cluster)) continue; // no other cluster renders: nobody names it
    remotes.set(cluster, declareRemote(registry, cluster, index, on));
  }
  return { policies, remotes, index };
}

/** A cluster that renders companions: all its NetworkPolicies, cluster-wide. */
export function declarePolicyCluster(registry: InformerRegistry, config: Config, cluster: string, index: PolicyIndex, on?: PolicyHandler): PolicyCaches {
  const companions = { name: `companion-of:${config.instance}`, of: companionOwner(config.instance) };
  return {
    cluster,
    policies: registry.need<NetworkPolicy>({ cluster, resource: 'networkpolicies', path: PATHS.networkPolicies, index: companions },
      // Called on the initial lists too: a NetworkPolicy event keeps the remote → policy index current.
      (e) => on?.(networkPolicyEventKeys(cluster, config.instance, index, e))),
  };
}

/** A cluster whose pods and namespaces a spanned policy elsewhere may name. */
export function declareRemote(registry: InformerRegistry, cluster: string, index: PolicyIndex, on?: PolicyHandler): RemoteCaches {
  const namespaces = namespacesNeed(registry, cluster);
  registry.subscribe(namespaces, (e) => on?.(namespacePolicyKeys(cluster, index, e), cluster));
  const pods = registry.need<Pod>({ cluster, resource: 'pods', path: PATHS.pods, projection: { name: 'pod', of: podForCache } },
    (e) => on?.(podEventKeys(cluster, index, e), cluster));
  return { cluster, pods, namespaces };
}

/**
 * Which remotes each spanned policy names, and its inverse: the policy keys to reconcile when a
 * remote's pods change. Fed by the NetworkPolicy watches' events (the initial list included),
 * so it always describes what the stores hold.
 */
export class PolicyIndex {
  #config: Config;
  readonly #remotesOf = new Map<PolicyKey, readonly string[]>();
  readonly #byRemote = new Map<string, Set<PolicyKey>>();

  constructor(config: Config) {
    this.#config = config;
  }

  /** The fleet changed while running: "every other cluster" reads with it from the next update. */
  configure(config: Config): void {
    this.#config = config;
  }

  /** Takes in the current state of one user policy of `cluster` (undefined: gone or not spanned). */
  update(cluster: string, key: PolicyKey, policy: NetworkPolicy | undefined): void {
    for (const r of this.#remotesOf.get(key) ?? []) {
      const keys = this.#byRemote.get(r);
      keys?.delete(key);
      if (keys?.size === 0) this.#byRemote.delete(r);
    }
    this.#remotesOf.delete(key);
    if (!policy || policy.metadata.annotations?.[REMOTE_CLUSTERS] === undefined) return;
    const spanned = spannedRemotes(this.#config, cluster, policy);
    // A policy whose annotation does not parse names no remote; its own key still reports the problem.
    const remotes = 'remotes' in spanned ? spanned.remotes : [];
    this.#remotesOf.set(key, remotes);
    for (const r of remotes) {
      let keys = this.#byRemote.get(r);
      if (!keys) this.#byRemote.set(r, (keys = new Set()));
      keys.add(key);
    }
  }

  /** The spanned policies that name `remote`, sorted. */
  naming(remote: string): PolicyKey[] {
    return [...(this.#byRemote.get(remote) ?? [])].sort(cmp);
  }

  /** Every spanned policy (annotated, whether or not its annotation parses), sorted. */
  keys(): PolicyKey[] {
    return [...this.#remotesOf.keys()].sort(cmp);
  }
}

/** A NetworkPolicy change: a user policy's own key, or for a companion its user policy's key. */
export function networkPolicyEventKeys(cluster: string, instance: string, index: PolicyIndex, e: StoreEvent<NetworkPolicy>): PolicyKey[] {
  const owner = companionOwner(instance);
  const keys = new Set<PolicyKey>();
  for (const np of e.type === 'modified' ? [e.old, e.object] : [e.object]) {
    const of = owner(np);
    if (of !== undefined) {
      const i = of.indexOf('/');
      if (i > 0) keys.add(policyKey(cluster, of.slice(0, i), of.slice(i + 1)));
    }
  }
  if (!isOwned(e.object.metadata, instance)) {
    const key = policyKey(cluster, namespaceOf(e.object.metadata), e.object.metadata.name);
    const annotated = (np: NetworkPolicy) => np.metadata.annotations?.[REMOTE_CLUSTERS] !== undefined;
    index.update(cluster, key, e.type === 'deleted' ? undefined : e.object);
    // An unannotated policy concerns mcsync only when it just lost its annotation (its companions go).
    if (annotated(e.object) || (e.type === 'modified' && annotated(e.old))) keys.add(key);
  }
  return [...keys].sort(cmp);
}

/** What of a pod a peer selector or a companion can read: changes to anything else are noise. */
export function podProjection(p: Pod): string {
  const s = p.status ?? {};
  return JSON.stringify([
    Object.entries(p.metadata.labels ?? {}).sort(([a], [b]) => cmp(a, b)),
    p.metadata.deletionTimestamp !== undefined,
    s.phase ?? '',
    s.podIP ?? '',
    (s.podIPs ?? []).map((x) => x.ip),
  ]);
}

/** A pod without an address can be admitted by no ipBlock: its coming and going is nothing. */
const addressed = (p: Pod) => Boolean(p.status?.podIP || p.status?.podIPs?.length);

/** Whether a pod change can change a companion. */
export function podChangeMatters(e: StoreEvent<Pod>): boolean {
  if (e.type === 'modified') return podProjection(e.old) !== podProjection(e.object) && (addressed(e.old) || addressed(e.object));
  return addressed(e.object);
}

/** Whether a namespace change can change a companion: namespaceSelectors read its labels only. */
export function namespaceChangeMatters(e: StoreEvent<Namespace>): boolean {
  if (e.type !== 'modified') return true;
  const labels = (n: Namespace) => JSON.stringify(Object.entries(n.metadata.labels ?? {}).sort(([a], [b]) => cmp(a, b)));
  return labels(e.old) !== labels(e.object);
}

/** A pod change in `remote`: every spanned policy naming it, when the change matters. */
export function podEventKeys(remote: string, index: PolicyIndex, e: StoreEvent<Pod>): PolicyKey[] {
  return podChangeMatters(e) ? index.naming(remote) : [];
}

export function namespacePolicyKeys(remote: string, index: PolicyIndex, e: StoreEvent<Namespace>): PolicyKey[] {
  return namespaceChangeMatters(e) ? index.naming(remote) : [];
}

/** Every policy key the caches know of: spanned policies, and the user policies of every companion (so orphans are collected). */
export function allPolicyKeys(index: PolicyIndex, policies: ReadonlyMap<string, PolicyCaches>): PolicyKey[] {
  const keys = new Set(index.keys());
  for (const [cluster, c] of policies) {
    for (const of of c.policies.indexValues()) {
      const i = of.indexOf('/');
      if (i > 0) keys.add(policyKey(cluster, of.slice(0, i), of.slice(i + 1)));
    }
  }
  return [...keys].sort(cmp);
}

/** The user policy a key names, if the store holds it and it is not a companion. */
export function userPolicy(c: PolicyCaches, instance: string, namespace: string, name: string): NetworkPolicy | undefined {
  const np = c.policies.get(storeKey({ metadata: { namespace, name } }));
  return np && !isOwned(np.metadata, instance) ? np : undefined;
}
