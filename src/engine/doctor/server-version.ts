// The server-version verdict: is the cluster's Kubernetes one mcsync is tested against? Older
// servers answer most of what mcsync does, so this warns rather than fails; what breaks there
// is named in docs/versions.md.
import type { Check, ClusterFacts } from './types.ts';
import { check } from './verdict.ts';

/**
 * The oldest Kubernetes minor (1.x) mcsync supports: the first where every field mcsync writes
 * is on by default (PreferSameZone/PreferSameNode traffic distribution and node hints went
 * beta in 1.34). The harness builds a release of it and runs the core integration tests
 * against it (docs/versions.md).
 */
export const OLDEST_SUPPORTED_MINOR = 34;

/**
 * Major and minor of what /version's gitVersion says, e.g. v1.34.4, v1.33.5-eks-1a2b3c or
 * v1.31.2+k3s1; undefined for anything else (a distribution's own scheme).
 */
export function parseServerVersion(gitVersion: string): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(gitVersion.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function serverVersionCheck(f: ClusterFacts): Check {
  if (!f.reach.ok) throw new Error(`serverVersionCheck: ${f.cluster} was not reached`);
  const version = f.reach.version;
  const parsed = parseServerVersion(version);
  const oldest = `1.${OLDEST_SUPPORTED_MINOR}`;
  if (!parsed) return check('server-version', f.cluster, 'info', `the server reports "${version}", not a Kubernetes release: cannot tell whether it is ${oldest} or newer`, { version });
  const supported = parsed.major > 1 || (parsed.major === 1 && parsed.minor >= OLDEST_SUPPORTED_MINOR);
  if (supported) return check('server-version', f.cluster, 'pass', `Kubernetes ${parsed.major}.${parsed.minor} (${oldest} or newer is supported)`, { version });
  return check('server-version', f.cluster, 'warn',
    `Kubernetes ${parsed.major}.${parsed.minor} is older than ${oldest}, the oldest mcsync supports: replicas may lose the PreferSameZone/PreferSameNode traffic distribution and node hints, and nothing is tested there; upgrade the cluster (docs/versions.md)`,
    { version });
}
