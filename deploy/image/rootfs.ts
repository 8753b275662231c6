// The image's base: a Debian userland with only what the Node binary links against, extracted
// from Debian's packages (mmdebstrap's extract variant runs no maintainer scripts, so no shell
// is needed to make it and none ends up in it). Cached by its inputs outside the repository.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cached } from './cache.ts';
import { tool } from './tools.ts';
import { DEBIAN_SUITE, DROPPED_PACKAGES, GID, HOME, PACKAGES, UID } from './spec.ts';

/** The host's apt sources (deb822), so the rootfs comes from the mirror this machine trusts. */
const SOURCES = '/etc/apt/sources.list.d/debian.sources';
// Bump when the steps below change what they make.
const RECIPE = 4;

export function rootfsKey(): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ RECIPE, DEBIAN_SUITE, PACKAGES, DROPPED_PACKAGES, UID, GID, HOME, arch: process.arch }));
  h.update(readFileSync(SOURCES));
  return h.digest('hex').slice(0, 16);
}

/** The rootfs directory for the current inputs, made if missing. */
export function ensureRootfs(log: (s: string) => void): { dir: string; hit: boolean } {
  return cached('rootfs', rootfsKey(), (dir) => {
    log(`rootfs: mmdebstrap ${DEBIAN_SUITE} ${PACKAGES.join(' ')}`);
    // The downloaded .debs stay in the tree (skip cleanup) for the dpkg database below, then go.
    tool('mmdebstrap', ['--quiet', '--mode=root', '--variant=extract', `--include=${PACKAGES.join(',')}`,
      '--skip=cleanup/apt/cache', '--skip=cleanup/apt/lists', DEBIAN_SUITE, dir, SOURCES], { input: '' });
    prune(dir);
  });
}

/** The files (not directories, which packages share) a .deb installs. */
function packageFiles(deb: string): string[] {
  const tar = spawnSync('dpkg-deb', ['--fsys-tarfile', deb], { maxBuffer: 256 << 20 });
  if (tar.status !== 0) throw new Error(`dpkg-deb --fsys-tarfile ${deb}: ${tar.stderr.toString()}`);
  const list = spawnSync('tar', ['-t'], { input: tar.stdout, encoding: 'utf8', maxBuffer: 64 << 20 });
  return list.stdout.split('\n').filter((l) => l && !l.endsWith('/'));
}

function prune(root: string): void {
  const archives = join(root, 'var/cache/apt/archives');
  const debs = readdirSync(archives).filter((f) => f.endsWith('.deb')).map((f) => join(archives, f));
  const status: string[] = [];
  for (const deb of debs) {
    const control = tool('dpkg-deb', ['-f', deb]).trimEnd();
    const name = /^Package: (.+)$/m.exec(control)![1]!;
    if (DROPPED_PACKAGES.includes(name)) {
      // Remove its files (not its directories, which other packages share).
      for (const path of packageFiles(deb)) rmSync(join(root, path), { force: true });
      continue;
    }
    // A dpkg status database, so image scanners see which Debian packages (and versions) are in.
    status.push(control.replace(/^(Package: .+)$/m, '$1\nStatus: install ok installed'));
  }
  writeFileSync(join(root, 'var/lib/dpkg/status'), status.join('\n\n') + '\n');
  // Left by mmdebstrap, or meant for a system with apt: nothing of it runs in the image.
  for (const p of ['etc/apt', 'etc/dpkg/dpkg.cfg.d', 'var/lib/apt', 'var/cache', 'var/log', 'etc/fstab',
    'usr/share/base-files', 'etc/skel', 'etc/profile.d', 'etc/update-motd.d', 'etc/issue', 'etc/issue.net',
    // iconv modules: Node converts text with its own ICU, never through glibc's gconv.
    'usr/lib/x86_64-linux-gnu/gconv']) rmSync(join(root, p), { recursive: true, force: true });
  // The runtime mounts /dev; device nodes in a layer are noise.
  for (const f of readdirSync(join(root, 'dev'))) rmSync(join(root, 'dev', f), { recursive: true, force: true });
  // Files the runtime bind-mounts over; they must exist on a read-only root.
  for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) {
    writeFileSync(join(root, f), '');
    chmodSync(join(root, f), 0o644);
  }
  writeFileSync(join(root, 'etc/ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  tool('ldconfig', ['-r', root]);
  writeFileSync(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/usr/sbin/nologin\nmcsync:x:${UID}:${GID}:mcsync:${HOME}:/usr/sbin/nologin\n`);
  writeFileSync(join(root, 'etc/group'), `root:x:0:\nmcsync:x:${GID}:\n`);
  mkdirSync(join(root, HOME.slice(1)), { recursive: true });
  chownSync(join(root, HOME.slice(1)), UID, GID);
}
