// The companion plan of one cluster: for every user policy annotated mcsync.io/remote-clusters,
// the companions it should have per remote cluster, diffed against the owned ones there.
// Its own plan, apart from the Service planner; every action is keyed "namespace/name" of the
// user's policy. Safety as for replicas: nothing without this instance's ownership labels is
// touched, a remote that cannot be read leaves its companions exactly as they are, and bad
// input writes nothing for that policy.
import type { Config } from '../../config/types.ts';
import { COMPANION_OF, MCS_SOURCE_CLUSTER, isOwned } from '../../vocab/labels.ts';
import { namespaceOf } from '../../vocab/keys.ts';
import type { NetworkPolicy } from '../../vocab/objects.ts';
import { createAction, deleteAction, updateAction } from '../actions.ts';
import { cmp, cmpTuple } from '../canonical.ts';
import { replicaMatches } from '../projection.ts';
import type { Action } from '../types.ts';
import { isSpanned, spannedRemotes } from './annotation.ts';
import { MAX_BLOCKS_PER_COMPANION, remoteRules, renderCompanions } from './companion.ts';
import { companionOfAnnotation } from './names.ts';
import { indexRemote } from './peers.ts';
import type { PolicyPlan, PolicyProblem, RemotePods, SpannedPolicy } from './types.ts';
import { policyProblem } from './validate.ts';

export { spannedRemotes } from './annotation.ts';

export interface PolicyPlanOptions {
  /** Remote clusters that cannot be read now: their companions are neither updated nor deleted. */
  unavailable?: ReadonlySet<string>;
  /** Remote clusters stale under stalePolicy withdraw: their companions are deleted. */
  withdrawn?: ReadonlySet<string>;
  /** ipBlocks per companion object before it is split into parts; tests make it small. */
  maxBlocksPerCompanion?: number;
}

const byName = (a: NetworkPolicy, b: NetworkPolicy) => cmpTuple([namespaceOf(a.metadata), a.metadata.name], [namespaceOf(b.metadata), b.metadata.name]);

/** "namespace/name" of the user's policy a companion belongs to (its annotation), or its own when it has none. */
function ownerKey(companion: NetworkPolicy): string {
  return companion.metadata.annotations?.[COMPANION_OF] ?? companionOfAnnotation(namespaceOf(companion.metadata), companion.metadata.name);
}

function terminating(p: NetworkPolicy): boolean {
  return p.metadata.deletionTimestamp !== undefined;
}

export function planPolicies(
  config: Config,
  cluster: string,
  policies: readonly NetworkPolicy[],
  companions: readonly NetworkPolicy[],
  remotes: ReadonlyMap<string, RemotePods>,
  opts: PolicyPlanOptions = {},
): PolicyPlan {
  const instance = config.instance;
  const max = opts.maxBlocksPerCompanion ?? MAX_BLOCKS_PER_COMPANION;
  const actions: Action[] = [];
  const problems: PolicyProblem[] = [];
  const spanned: SpannedPolicy[] = [];

  const owners = new Map<string, NetworkPolicy[]>();
  const ownedNames = new Set<string>();
  for (const c of [...companions].sort(byName)) {
    if (!isOwned(c.metadata, instance)) continue;
    const ref = companionOfAnnotation(namespaceOf(c.metadata), c.metadata.name);
    if (ownedNames.has(ref)) continue; // the same object passed twice
    ownedNames.add(ref);
    const key = ownerKey(c);
    owners.set(key, [...(owners.get(key) ?? []), c]);
  }
  // Names a create would collide with: objects we must never adopt.
  const foreignNames = new Set([...policies, ...companions].filter((p) => !isOwned(p.metadata, instance)).map((p) => companionOfAnnotation(namespaceOf(p.metadata), p.metadata.name)));
  const users = policies.filter((p) => !isOwned(p.metadata, instance) && !terminating(p) && isSpanned(p)).sort(byName);
  const handled = new Set<string>();

  for (const policy of users) {
    const ns = namespaceOf(policy.metadata);
    const name = policy.metadata.name;
    const key = companionOfAnnotation(ns, name);
    if (handled.has(key)) continue;
    handled.add(key);
    const existing = owners.get(key) ?? [];
    const parsed = spannedRemotes(config, cluster, policy);
    const named = 'remotes' in parsed ? parsed.remotes : [];
    const refuse = (message: string) => {
      problems.push({ cluster, namespace: ns, name, message });
      spanned.push({ cluster, namespace: ns, name, remotes: named, peers: 0, companions: existing.map((c) => c.metadata.name).sort(cmp), problem: message });
    };
    const bad = 'problem' in parsed ? parsed.problem : policyProblem(policy);
    if (bad !== undefined) {
      refuse(bad);
      continue;
    }

    const desired: NetworkPolicy[] = [];
    const kept = new Set<string>();
    const unavailable: string[] = [];
    const withdrawn = new Set<string>();
    let peers = 0;
    for (const remote of named) {
      const snapshot = remotes.get(remote);
      if (opts.withdrawn?.has(remote)) {
        withdrawn.add(remote);
        unavailable.push(remote);
        continue;
      }
      if (opts.unavailable?.has(remote) || !snapshot) {
        for (const c of existing) if (c.metadata.labels?.[MCS_SOURCE_CLUSTER] === remote) kept.add(c.metadata.name);
        unavailable.push(remote);
        continue;
      }
      const { rules, pods } = remoteRules(policy, indexRemote(snapshot));
      peers += pods.size;
      desired.push(...renderCompanions(instance, policy, remote, rules, max));
    }

    const live = new Map(existing.map((c) => [c.metadata.name, c]));
    const taken = desired.filter((d) => !live.has(d.metadata.name) && foreignNames.has(companionOfAnnotation(ns, d.metadata.name)));
    if (taken.length > 0) {
      refuse(`companion name ${taken.map((d) => d.metadata.name).join(', ')} is taken by a NetworkPolicy mcsync does not own; rename or remove it`);
      continue;
    }
    for (const want of desired) {
      const have = live.get(want.metadata.name);
      if (!have) {
        actions.push(createAction(cluster, key, 'NetworkPolicy', want, `companion of ${key} for the pods of ${want.metadata.labels![MCS_SOURCE_CLUSTER]}`));
      } else if (!terminating(have) && !replicaMatches('NetworkPolicy', have, want)) {
        const object = { ...want, metadata: { ...want.metadata, uid: have.metadata.uid, resourceVersion: have.metadata.resourceVersion } };
        actions.push(updateAction(cluster, key, 'NetworkPolicy', object, `remote peers of ${want.metadata.labels![MCS_SOURCE_CLUSTER]} changed`));
      }
    }
    const wanted = new Set(desired.map((d) => d.metadata.name));
    for (const c of existing) {
      if (wanted.has(c.metadata.name) || kept.has(c.metadata.name) || terminating(c)) continue;
      const remote = c.metadata.labels?.[MCS_SOURCE_CLUSTER] ?? '';
      const reason = withdrawn.has(remote) ? `${remote} is stale (stalePolicy withdraw)`
        : named.includes(remote) ? `no longer needed: fewer remote peers of ${remote}`
        : `${key} no longer names ${remote || 'its remote cluster'}`;
      actions.push(deleteAction(cluster, key, 'NetworkPolicy', c, reason));
    }
    spanned.push({
      cluster, namespace: ns, name, remotes: named, peers,
      companions: [...new Set([...wanted, ...kept])].sort(cmp),
      ...(unavailable.length > 0 ? { unavailable } : {}),
    });
  }

  // Companions whose policy is gone, being deleted or no longer annotated.
  for (const [key, list] of [...owners].sort(([a], [b]) => cmp(a, b))) {
    if (handled.has(key)) continue;
    for (const c of list) if (!terminating(c)) actions.push(deleteAction(cluster, key, 'NetworkPolicy', c, `${key} is gone or no longer names remote clusters`));
  }
  return { actions, problems, spanned };
}
