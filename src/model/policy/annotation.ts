// The user's side of the contract: `mcsync.io/remote-clusters: eks1,gcp1` (or `*`) on an
// ordinary NetworkPolicy names the clusters whose pods its peers also match.
import type { Config } from '../../config/types.ts';
import { REMOTE_CLUSTERS } from '../../vocab/labels.ts';
import type { NetworkPolicy } from '../../vocab/objects.ts';
import { cmp } from '../canonical.ts';

/** Whether the policy carries the annotation at all (a bad value still makes it spanned, with a problem). */
export function isSpanned(policy: NetworkPolicy): boolean {
  return policy.metadata.annotations?.[REMOTE_CLUSTERS] !== undefined;
}

/**
 * The remote clusters a policy of `cluster` spans, sorted, or why its annotation is bad input:
 * a name the config does not know, the policy's own cluster, or nothing named at all.
 */
export function spannedRemotes(config: Config, cluster: string, policy: NetworkPolicy): { remotes: string[] } | { problem: string } {
  const text = policy.metadata.annotations?.[REMOTE_CLUSTERS];
  if (text === undefined) return { remotes: [] };
  const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) return { problem: `${REMOTE_CLUSTERS} names no cluster` };
  const known = new Set(config.clusters.map((c) => c.name));
  if (names.includes('*')) {
    if (names.length > 1) return { problem: `${REMOTE_CLUSTERS}: "*" already means every other cluster; it cannot be combined with names` };
    return { remotes: config.clusters.map((c) => c.name).filter((n) => n !== cluster).sort(cmp) };
  }
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) return { problem: `${REMOTE_CLUSTERS} names ${unknown.map((n) => `"${n}"`).join(', ')}, not a cluster of the config (known: ${[...known].join(', ')})` };
  if (names.includes(cluster)) return { problem: `${REMOTE_CLUSTERS} names the policy's own cluster "${cluster}"; its pods are matched by the policy itself` };
  return { remotes: [...new Set(names)].sort(cmp) };
}
