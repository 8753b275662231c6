// Build products kept between image builds, under ~/.cache/mcsync (MCSYNC_CACHE_DIR), one
// directory per kind and key: `image-<kind>-<key>`. A directory counts only once its
// `.complete` marker exists beside it (not in it: everything inside may go into the image),
// so an interrupted build is redone. Making a new key of a kind removes the older ones.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './tools.ts';

export function cached(kind: string, key: string, make: (dir: string) => void): { dir: string; hit: boolean } {
  const root = cacheDir();
  const name = `image-${kind}-${key}`;
  const dir = join(root, name);
  if (existsSync(`${dir}.complete`)) return { dir, hit: true };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    make(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(`${dir}.complete`, '');
  for (const old of readdirSync(root)) {
    if (old.startsWith(`image-${kind}-`) && !old.startsWith(name) && !old.includes('.tmp-')) rmSync(join(root, old), { recursive: true, force: true });
  }
  return { dir, hit: false };
}
