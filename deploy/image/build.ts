// Builds the mcsync image without a daemon (`npm run image`): the Debian rootfs (rootfs.ts),
// the Node binary the `node` npm package ships, then dist/ with the production dependencies,
// as three layers of an OCI image assembled with umoci. It writes an OCI archive for
// `skopeo copy` and loads the image into podman's local storage. The rootfs, the production
// node_modules and the two base layers are cached by their inputs; a build whose inputs are all
// unchanged reuses the last image.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmp } from '../../src/model/canonical.ts';
import { ensureRootfs, rootfsKey } from './rootfs.ts';
import { cached } from './cache.ts';
import { cacheDir, podman, tool, ImageToolError } from './tools.ts';
import { APP_DIR, ARCHIVE, CMD, ENV, IMAGE_NAME, NODE_IN_IMAGE, PORT, REPO_ROOT, USER, VERSION, entrypoint } from './spec.ts';

export const INPUTS_LABEL = 'io.mcsync.image.inputs';
const LAYOUT = `${REPO_ROOT}dist-image/oci`;
const INPUTS_FILE = `${REPO_ROOT}dist-image/mcsync-${VERSION}.inputs`;

export interface BuildResult {
  image: string;
  archive: string;
  inputs: string;
  /** True when nothing changed since the last build and its image was kept. */
  reused: boolean;
  seconds: Record<string, number>;
}

function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** Every file under dir, by relative path and content, in a stable order. */
function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const names = readdirSync(join(dir, rel), { withFileTypes: true }).map((d) => ({ name: d.name, isDir: d.isDirectory() }));
    names.sort((a, b) => cmp(a.name, b.name));
    for (const n of names) {
      const p = rel ? `${rel}/${n.name}` : n.name;
      if (n.isDir) walk(p);
      else h.update(p).update('\0').update(readFileSync(join(dir, p))).update('\0');
    }
  };
  walk('');
  return h.digest('hex');
}

/** The real file of the `node` devDependency's binary, checked to be Node 24. */
export function nodeBinary(): string {
  const pkg = createRequire(`${REPO_ROOT}package.json`).resolve('node/package.json');
  const bin = realpathSync(join(dirname(pkg), 'bin', 'node'));
  const version = tool(bin, ['--version']).trim();
  if (!version.startsWith('v24.')) throw new ImageToolError(`${bin} is Node ${version}; the image needs Node 24 (the \`node\` devDependency)`);
  return bin;
}

/**
 * Type declarations and source maps: nothing loads them at run time (no --enable-source-maps),
 * and in these dependencies they are almost half the bytes (48 of 103 MB, most of it
 * @kubernetes/client-node's generated API).
 */
const UNUSED_AT_RUN_TIME = /\.(d\.[cm]?ts|map)$/;

function dropUnusedAtRunTime(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && UNUSED_AT_RUN_TIME.test(e.name)) rmSync(join(e.parentPath, e.name));
  }
}

/** node_modules with the production dependencies only, from package.json and package-lock.json. */
function ensureDeps(log: (s: string) => void): { dir: string; key: string } {
  const key = sha256(UNUSED_AT_RUN_TIME.source, readFileSync(`${REPO_ROOT}package.json`), readFileSync(`${REPO_ROOT}package-lock.json`)).slice(0, 16);
  const { dir } = cached('deps', key, (tmp) => {
    log('deps: npm ci --omit=dev --ignore-scripts');
    for (const f of ['package.json', 'package-lock.json']) cpSync(`${REPO_ROOT}${f}`, join(tmp, f));
    // --ignore-scripts: no install script runs, so what is copied is exactly what the lock names.
    tool('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp });
    dropUnusedAtRunTime(join(tmp, 'node_modules'));
  });
  return { dir, key };
}

/** An OCI layout holding the rootfs and Node layers, tagged `base`: what changes least, cached. */
function ensureBase(rootfs: string, node: string, log: (s: string) => void): { dir: string; key: string } {
  const key = sha256(rootfsKey(), readFileSync(node)).slice(0, 16);
  const { dir } = cached('base', key, (tmp) => {
    log('base: umoci layers for the rootfs and node');
    rmSync(tmp, { recursive: true });
    tool('umoci', ['init', '--layout', tmp]);
    tool('umoci', ['new', '--image', `${tmp}:base`]);
    tool('umoci', ['insert', '--image', `${tmp}:base`, '--history.comment', 'Debian rootfs (deploy/image/rootfs.ts)', rootfs, '/']);
    tool('umoci', ['insert', '--image', `${tmp}:base`, '--history.comment', `Node ${tool(node, ['--version']).trim()} from the node npm package`, node, NODE_IN_IMAGE]);
  });
  return { dir, key };
}

function imageId(): string | undefined {
  try {
    return podman(['image', 'inspect', '--format', '{{.Id}}', IMAGE_NAME]).trim();
  } catch {
    return undefined;
  }
}

function imageInputsLabel(): string | undefined {
  try {
    return podman(['image', 'inspect', '--format', `{{index .Labels "${INPUTS_LABEL}"}}`, IMAGE_NAME]).trim();
  } catch {
    return undefined;
  }
}

export function buildImage(log: (s: string) => void = (s) => process.stderr.write(`image: ${s}\n`)): BuildResult {
  const seconds: Record<string, number> = {};
  const timed = <T>(step: string, f: () => T): T => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      seconds[step] = Math.round(performance.now() - t0) / 1000;
    }
  };
  const dist = `${REPO_ROOT}dist/src`;
  if (!existsSync(`${dist}/cli/main.js`)) throw new ImageToolError(`${dist}/cli/main.js is missing; run \`npm run build\` first`);

  const node = timed('node', nodeBinary);
  const rootfs = timed('rootfs', () => ensureRootfs(log));
  const deps = timed('deps', () => ensureDeps(log));
  const base = timed('base', () => ensureBase(rootfs.dir, node, log));
  // The modules whose code decides what goes into the image.
  const sources = ['build.ts', 'cache.ts', 'rootfs.ts', 'spec.ts'];
  const inputs = timed('inputs', () => sha256(base.key, deps.key, treeHash(dist), readFileSync(`${REPO_ROOT}package.json`),
    JSON.stringify({ entrypoint: entrypoint(), CMD, ENV, USER }),
    ...sources.map((f) => readFileSync(fileURLToPath(new URL(f, import.meta.url))))));

  if (existsSync(ARCHIVE) && existsSync(INPUTS_FILE) && readFileSync(INPUTS_FILE, 'utf8').trim() === inputs && imageInputsLabel() === inputs) {
    log(`unchanged inputs: keeping ${IMAGE_NAME} and ${ARCHIVE}`);
    return { image: IMAGE_NAME, archive: ARCHIVE, inputs, reused: true, seconds };
  }

  timed('app', () => {
    const app = join(cacheDir(), `image-app-${process.pid}`);
    rmSync(app, { recursive: true, force: true });
    mkdirSync(app, { recursive: true });
    try {
      cpSync(dist, join(app, 'dist/src'), { recursive: true });
      cpSync(`${REPO_ROOT}package.json`, join(app, 'package.json'));
      cpSync(join(deps.dir, 'node_modules'), join(app, 'node_modules'), { recursive: true, verbatimSymlinks: true });
      rmSync(LAYOUT, { recursive: true, force: true });
      mkdirSync(dirname(LAYOUT), { recursive: true });
      cpSync(base.dir, LAYOUT, { recursive: true });
      tool('umoci', ['insert', '--image', `${LAYOUT}:base`, '--tag', VERSION, '--history.comment', 'mcsync dist/ and production node_modules', app, APP_DIR]);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
    const labels: Record<string, string> = {
      'org.opencontainers.image.title': 'mcsync',
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.description': 'Replicates exported Kubernetes Services across clusters',
      [INPUTS_LABEL]: inputs,
    };
    tool('umoci', ['config', '--image', `${LAYOUT}:${VERSION}`, '--config.user', USER, '--config.workingdir', APP_DIR,
      '--config.exposedports', `${PORT}/tcp`, '--config.stopsignal', 'SIGTERM',
      ...Object.entries(ENV).flatMap(([k, v]) => ['--config.env', `${k}=${v}`]),
      ...entrypoint().flatMap((a) => ['--config.entrypoint', a]),
      ...CMD.flatMap((a) => ['--config.cmd', a]),
      ...Object.entries(labels).flatMap(([k, v]) => ['--config.label', `${k}=${v}`]),
      '--history.comment', 'mcsync entrypoint, user and labels']);
    tool('umoci', ['rm', '--image', `${LAYOUT}:base`]);
    tool('umoci', ['gc', '--layout', LAYOUT]);
  });
  timed('archive', () => {
    rmSync(ARCHIVE, { force: true });
    tool('skopeo', ['copy', '--quiet', `oci:${LAYOUT}:${VERSION}`, `oci-archive:${ARCHIVE}:mcsync:${VERSION}`]);
  });
  timed('load', () => {
    const previous = imageId();
    // podman load reads the archive the user gets, so what the tests run is what ships. It
    // names the image after the archive's reference, mcsync:VERSION, in the localhost domain.
    const out = podman(['load', '--quiet', '--input', ARCHIVE]);
    const loaded = /Loaded image(?:\(s\))?: (.+)/.exec(out)?.[1]?.trim();
    if (!loaded) throw new ImageToolError(`podman load printed no image name:\n${out}`);
    if (loaded !== IMAGE_NAME) podman(['tag', loaded, IMAGE_NAME]);
    // The image this one replaces is left without a name; it goes unless a container uses it.
    if (previous && previous !== imageId()) {
      try {
        podman(['rmi', previous]);
      } catch {
        // in use
      }
    }
  });
  writeFileSync(INPUTS_FILE, `${inputs}\n`);
  return { image: IMAGE_NAME, archive: ARCHIVE, inputs, reused: false, seconds };
}

/** Compressed (the archive) and unpacked (podman's figure) sizes, in bytes. */
export function imageSizes(): { archive: number; unpacked: number } {
  return { archive: statSync(ARCHIVE).size, unpacked: Number(podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE_NAME]).trim()) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  try {
    const r = buildImage();
    const total = Math.round(performance.now() - t0) / 1000;
    const { archive, unpacked } = imageSizes();
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    process.stdout.write(`${r.image}${r.reused ? ' (unchanged, reused)' : ''}\n${r.archive}\n` +
      `archive ${mb(archive)}, unpacked ${mb(unpacked)}; ${total}s (${Object.entries(r.seconds).map(([k, v]) => `${k} ${v}s`).join(', ')})\n`);
  } catch (err) {
    process.stderr.write(`image: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
