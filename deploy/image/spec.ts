// What the mcsync image is, written once: the build (build.ts) assembles it from this, the
// Dockerfile's test checks the Dockerfile says the same, and the image test runs it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runtimeFlags } from '../../harness/src/mcsync/runtime-flags.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version;

/** The name the build gives the image in podman's local storage. */
export const IMAGE_NAME = `localhost/mcsync:${VERSION}`;
/** The OCI archive a user copies to a registry with `skopeo copy oci-archive:… docker://…`. */
export const ARCHIVE = `${REPO_ROOT}dist-image/mcsync-${VERSION}.oci.tar`;

/** Debian release and the packages the rootfs holds: what the Node binary links against (ldd). */
export const DEBIAN_SUITE = 'bookworm';
export const PACKAGES = ['libc6', 'libstdc++6', 'base-files'];
/**
 * Pulled in by a dependency but not wanted at run time, removed after extraction: mawk is
 * base-files' Pre-Depends (an interpreter the image never runs). base-files itself is kept for
 * /etc/os-release, which image scanners read to know the distribution.
 */
export const DROPPED_PACKAGES = ['mawk'];

/** The unprivileged user (the manifests' and chart's runAsUser/runAsGroup). */
export const UID = 1000;
export const GID = 1000;
export const USER = `${UID}:${GID}`;
export const HOME = '/home/mcsync';

export const APP_DIR = '/app';
export const NODE_IN_IMAGE = '/usr/local/bin/node';
export const CLI_IN_IMAGE = `${APP_DIR}/dist/src/cli/main.js`;
export const PORT = 9090;

/** node with the flags of the CLI's shebang (src/cli/main.ts), running the compiled CLI. */
export function entrypoint(): string[] {
  return [NODE_IN_IMAGE, ...runtimeFlags(`${REPO_ROOT}src/cli/main.ts`), CLI_IN_IMAGE];
}

export const CMD = ['run', '--config', '/etc/mcsync/config/config.yaml', '--listen', `0.0.0.0:${PORT}`];

export const ENV: Record<string, string> = {
  PATH: '/usr/local/bin:/usr/bin',
  NODE_ENV: 'production',
  HOME,
};
