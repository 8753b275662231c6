// `mcsync run` reading its config from a directory laid out as the kubelet lays out a ConfigMap
// volume (mounted whole, not with subPath): `mcsync.yaml -> ..data/mcsync.yaml`, `..data -> a
// timestamped directory`. The kubelet updates such a volume by writing a new timestamped
// directory and renaming a new `..data` symlink over the old one; the controller must see that
// as a changed config and reload, with no signal and no restart. The first swap keeps the
// file's mtime, which an mtime-only watch would miss.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { scratchDir } from '../../harness/src/util/tempdir.ts';
import { startController } from '../../harness/src/mcsync/controller.ts';
import { apis, replicasAre, serviceWithPod, type Apis } from '../support/kube.ts';

let set: ClusterSet;
let B: Apis;
let podsA: Pods;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  B = apis(set.get('b'));
  podsA = new Pods(set.get('a'));
});
after(() => set?.down());

function configText(namespaces: string[]): string {
  return ['instance: volume', 'controller:', '  watchTimeout: 2s', 'clusters:',
    '- name: a', `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', ...namespaces.map((n) => `  - namespace: ${n}`),
    '- name: b', `  kubeconfig: ${set.get('b').kubeconfigPath}`].join('\n') + '\n';
}

/** A ConfigMap volume as the kubelet writes it; `swap` is its atomic update. */
class ConfigMapVolume {
  readonly dir = scratchDir('mcsync-cm-volume-');
  readonly file = join(this.dir, 'mcsync.yaml');
  #generation = 0;
  #current = '';

  /** A whole second, so a copied mtime is exactly equal (a Date carries only milliseconds). */
  static readonly MTIME = new Date('2026-12-06T10:00:00Z');

  constructor(text: string) {
    this.#current = this.#writeGeneration(text, ConfigMapVolume.MTIME);
    symlinkSync(this.#current, join(this.dir, '..data'));
    symlinkSync('..data/mcsync.yaml', this.file);
  }

  #writeGeneration(text: string, mtime?: Date): string {
    const name = `..2026_12_06_10_00_00.00000000${++this.#generation}`;
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, 'mcsync.yaml'), text);
    if (mtime) utimesSync(join(this.dir, name, 'mcsync.yaml'), mtime, mtime);
    return name;
  }

  /** The kubelet's update: new directory, `..data_tmp` renamed over `..data`, old directory removed. */
  swap(text: string, { keepMtime = false } = {}): void {
    const old = this.#current;
    const mtime = keepMtime ? ConfigMapVolume.MTIME : undefined;
    this.#current = this.#writeGeneration(text, mtime);
    symlinkSync(this.#current, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    rmSync(join(this.dir, old), { recursive: true });
  }
}

test('a ConfigMap volume update (the ..data symlink swapped) reloads the config without a signal', async () => {
  const one = await serviceWithPod(podsA, 'one', 'web');
  const two = await serviceWithPod(podsA, 'two', 'api');
  const volume = new ConfigMapVolume(configText(['one']));
  const ctl = await startController(['--config', volume.file]);
  try {
    await ctl.ready();
    await replicasAre(B, 'one', 'web', { [one]: true }, 'one/web in b from the first config');

    const before = statSync(volume.file);
    volume.swap(configText(['one', 'two']), { keepMtime: true });
    const after = statSync(volume.file);
    assert.equal(after.mtimeMs, before.mtimeMs, 'the swap kept the mtime: only the inode tells');
    assert.notEqual(after.ino, before.ino);
    await waitFor(async () => ctl.count('config reloaded') === 1, { what: 'the reload after the ..data swap' });
    assert.equal(ctl.logs.find((l) => l.msg === 'config reloaded')!.why, 'config file changed');
    await replicasAre(B, 'two', 'api', { [two]: true }, 'two/api in b: the new config is in force');

    // The watch follows the path, not the first file: a later bad update is seen and refused.
    volume.swap('clusters:\n- name: a\n  kubeconfg: typo\n');
    await waitFor(async () => ctl.count('new config rejected; the running config stays in force') === 1, { what: 'the second update seen' });
    assert.match(String(ctl.logs.find((l) => l.msg === 'new config rejected; the running config stays in force')!.error), /kubeconfg/);
    assert.match((await ctl.get('/metrics')).text, /mcsync_config_reloads_total\{result="ok"\} 1/);
  } finally {
    assert.equal(await ctl.stop(), 0);
  }
});
