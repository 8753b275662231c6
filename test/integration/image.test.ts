// The mcsync image, built daemonless from packages (deploy/image/build.ts, as `npm run image`
// does; a rerun with unchanged inputs reuses the last build) and run with podman as a hardened
// pod runs it — read-only root with no tmpfs, uid 1000, no capabilities — against real
// clusters on the host's loopback: `sync` makes a replica, `run` answers its probes and metrics
// and stops cleanly on SIGTERM.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { freePorts } from '../../harness/src/util/ports.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { buildImage, type BuildResult } from '../../deploy/image/build.ts';
import { containerRuntimeUnusable, runImage, startImage, stopContainer, type Mount } from '../../deploy/image/run.ts';
import { prerequisite } from '../../harness/src/util/prerequisite.ts';
import { CMD, GID, IMAGE_NAME, UID, USER, VERSION, entrypoint } from '../../deploy/image/spec.ts';
import { podman } from '../../deploy/image/tools.ts';
import { apis, replicasAre, serviceWithPod, type Apis } from '../support/kube.ts';

let built: BuildResult;
let set: ClusterSet;
let B: Apis;
let podsA: Pods;
/**
 * Why podman cannot start a container on this machine, probed without the image (false when it
 * can): a broken image fails the tests below, never skips them.
 */
const noContainers = prerequisite('podman able to start a container', containerRuntimeUnusable());
const mounts: Mount[] = [];

/** A config naming the clusters by their paths inside the container. */
function containerConfig(instance: string, ns: string): string {
  const cluster = (name: string, exports: string[]) => [`- name: ${yamlString(name)}`, `  kubeconfig: /etc/mcsync/kubeconfigs/${name}.kubeconfig`, ...exports];
  return writeConfig([`instance: ${instance}`, 'controller:', '  watchTimeout: 2s', 'clusters:',
    ...cluster('a', ['  services:', `  - namespace: ${ns}`]), ...cluster('b', [])].join('\n') + '\n');
}

before(async () => {
  built = buildImage(() => {});
  set = await startClusterSet({ names: ['a', 'b'] });
  B = apis(set.get('b'));
  podsA = new Pods(set.get('a'));
  // Kubeconfigs as a Secret volume gives them to the pod's user: owned by it, read-only.
  const dir = scratchDir('mcsync-image-kubeconfigs-');
  for (const name of ['a', 'b']) {
    const copy = join(dir, `${name}.kubeconfig`);
    copyFileSync(set.get(name).kubeconfigPath, copy);
    chownSync(copy, UID, GID);
    chmodSync(copy, 0o400);
    mounts.push({ host: copy, container: `/etc/mcsync/kubeconfigs/${name}.kubeconfig` });
  }
});

after(() => set?.down());

describe('the image as built', () => {
  test('runs the compiled CLI with the shebang\'s node flags as uid 1000, and defaults to `run` on :9090', () => {
    const [config] = JSON.parse(podman(['image', 'inspect', IMAGE_NAME])) as { Config: { User: string; Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string> } }[];
    assert.equal(config!.Config.User, USER);
    assert.deepEqual(config!.Config.Entrypoint, entrypoint());
    assert.deepEqual(config!.Config.Cmd, CMD);
    assert.equal(config!.Config.Labels['org.opencontainers.image.version'], VERSION);
  });

  test('starts read-only as a non-root user and prints its version', { skip: noContainers }, () => {
    const r = runImage(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^mcsync ${VERSION.replace(/\./g, '\\.')} \\(commit [0-9a-f]{12}`), 'the version, and the commit the build recorded');
  });

  test('holds no shell', { skip: noContainers }, () => {
    for (const sh of ['/bin/sh', '/usr/bin/sh', '/bin/bash']) {
      const r = runImage(['-c', 'true'], { entrypoint: sh });
      assert.equal(r.code, 127, `${sh}: ${r.stderr}`);
      assert.match(r.stderr, /no such file or directory/);
    }
  });
});

describe('against real clusters', () => {
  test('`sync` replicates a Service from a to b', { skip: noContainers }, async () => {
    const ns = 'image-sync';
    const ip = await serviceWithPod(podsA, ns, 'web');
    const r = runImage(['sync', '--config', '/etc/mcsync/config.yaml'], { mounts: [...mounts, { host: containerConfig('image-sync', ns), container: '/etc/mcsync/config.yaml' }] });
    assert.equal(r.code, 0, r.stderr);
    await replicasAre(B, ns, 'web', { [ip]: true }, 'web replicated to b by the container');
  });

  test('`run` keeps a replica, answers /healthz, /readyz and /metrics, and exits 0 on SIGTERM', { skip: noContainers }, async () => {
    const ns = 'image-run';
    const ip = await serviceWithPod(podsA, ns, 'api', 8080);
    const [port] = await freePorts(1);
    const name = `mcsync-image-test-${process.pid}`;
    const ctl = startImage(name, ['run', '--config', '/etc/mcsync/config.yaml', '--listen', `127.0.0.1:${port}`],
      [...mounts, { host: containerConfig('image-run', ns), container: '/etc/mcsync/config.yaml' }]);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, text: await res.text() };
    };
    try {
      await waitFor(async () => {
        if (ctl.child.exitCode !== null) throw new Error(`the container exited ${ctl.child.exitCode}:\n${ctl.output()}`);
        return (await get('/readyz').catch(() => ({ status: 0 }))).status === 200;
      }, { what: 'the container ready', timeoutMs: 60_000 });
      assert.equal((await get('/healthz')).status, 200);
      await waitFor(async () => /mcsync_cluster_connected\{cluster="a"\} 1/.test((await get('/metrics')).text), { what: 'a connected in /metrics' });
      await replicasAre(B, ns, 'api', { [ip]: true }, 'api replicated to b by the running container');
    } finally {
      stopContainer(name);
    }
    assert.equal(await ctl.exited, 0, `SIGTERM stops it cleanly:\n${ctl.output()}`);
  });
});
