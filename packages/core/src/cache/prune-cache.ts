import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleKey } from './bundle-record.js';
import { hashName } from '../util/hash.js';
import { cacheDirs } from './cache-dirs.js';

/** What of a lockfile entry says which cache entries to keep. */
export interface PinnedEntry {
  url: string;
  commit: string;
  subdir: string;
}

/**
 * Deletes cache entries the lockfile does not pin (checkouts and bundles of other commits,
 * bundles for other contract versions or build settings) and leftovers of interrupted writes. Returns what it deleted.
 */
export async function pruneCache(root: string, lockfile: { readonly providers: Readonly<Record<string, PinnedEntry>> }): Promise<string[]> {
  const dirs = cacheDirs(root);
  const keepBundles = new Set<string>();
  const keepCheckouts = new Set<string>();
  for (const entry of Object.values(lockfile.providers)) {
    keepBundles.add(bundleKey(entry.url, entry.commit, entry.subdir));
    keepCheckouts.add(join(hashName(entry.url), entry.commit));
  }
  const removed: string[] = [];
  const remove = async (path: string) => {
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  };
  for (const key of await readdir(dirs.bundles).catch(() => [] as string[])) {
    if (!keepBundles.has(key)) await remove(join(dirs.bundles, key));
  }
  for (const urlDir of await readdir(dirs.git).catch(() => [] as string[])) {
    for (const commit of await readdir(join(dirs.git, urlDir)).catch(() => [] as string[])) {
      if (!keepCheckouts.has(join(urlDir, commit))) await remove(join(dirs.git, urlDir, commit));
    }
  }
  for (const leftover of await readdir(dirs.tmp).catch(() => [] as string[])) await remove(join(dirs.tmp, leftover));
  return removed;
}
