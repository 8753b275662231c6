// The Kubernetes releases the harness builds: the newest, which every test runs against, and
// the oldest supported one (docs/versions.md), which the core integration tests run against too.
import { OLDEST_SUPPORTED_MINOR } from '../../../src/engine/doctor/server-version.ts';
import { HarnessError } from '../util/errors.ts';

export const DEFAULT_KUBERNETES_VERSION = 'v1.36.3';
/** A patch release of the oldest supported minor that the Go module proxy serves. */
export const OLDEST_KUBERNETES_VERSION = 'v1.34.4';

/**
 * The release MCSYNC_K8S_VERSION asks for: unset means the default, `oldest` the oldest
 * supported one, anything else must be an exact release such as v1.35.4 (the build fetches
 * k8s.io/kubernetes at that version, so a range or a bare minor cannot be built).
 */
export function kubernetesVersion(requested: string | undefined): string {
  if (requested === undefined || requested === '') return DEFAULT_KUBERNETES_VERSION;
  if (requested === 'oldest') return OLDEST_KUBERNETES_VERSION;
  if (!/^v1\.\d+\.\d+$/.test(requested)) {
    throw new HarnessError(`MCSYNC_K8S_VERSION=${requested} is not a Kubernetes release: give an exact one such as ${DEFAULT_KUBERNETES_VERSION}, or "oldest" (${OLDEST_KUBERNETES_VERSION})`);
  }
  return requested;
}

/** The minor of a release such as v1.34.4 (34). */
export function minorOf(version: string): number {
  const m = /^v1\.(\d+)\./.exec(version);
  if (!m) throw new HarnessError(`${version} is not a Kubernetes 1.x release`);
  return Number(m[1]);
}

// Keeps the product's floor and the harness's oldest build in step: a doctor warning for
// servers older than a minor no test runs against would be a promise nothing checks.
if (minorOf(OLDEST_KUBERNETES_VERSION) !== OLDEST_SUPPORTED_MINOR) {
  throw new HarnessError(`the harness's oldest Kubernetes ${OLDEST_KUBERNETES_VERSION} is not of the oldest supported minor 1.${OLDEST_SUPPORTED_MINOR} (src/engine/doctor/server-version.ts)`);
}
