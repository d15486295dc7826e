import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hashName } from '../util/hash.js';
import { bundleKey, readBundleRecord } from './bundle-record.js';
import { cacheDirs } from './cache-dirs.js';
import { readCheckoutRecord } from './checkout-record.js';
import type { PinnedEntry } from './prune-cache.js';

/** One entry of the cache, as `mediaconduit cache ls` shows it. */
export interface CacheEntryInfo {
  /** A Git checkout of one commit, a built bundle, installed npm dependencies, or a leftover of an interrupted write. */
  kind: 'checkout' | 'bundle' | 'deps' | 'leftover';
  /** The entry's folder. */
  path: string;
  /** Bytes on disk (files only). */
  bytes: number;
  url?: string;
  commit?: string;
  subdir?: string;
  /** Manifest id and version (bundles). */
  provider?: { id: string; version: string };
  /** When it was fetched or built. */
  createdAt?: string;
  /** Whether the lockfile pins it; `null` when that cannot be told (no lockfile given, or dependencies). */
  pinned: boolean | null;
  /** Its record is missing or unreadable: `cache verify --fix` deletes it. */
  broken?: true;
}

/** Every entry of a cache. */
export interface CacheListing {
  root: string;
  entries: CacheEntryInfo[];
  totalBytes: number;
}

async function sizeOf(path: string): Promise<number> {
  let total = 0;
  const entries = await readdir(path, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    total += (await lstat(join(entry.parentPath, entry.name)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

const list = (dir: string) => readdir(dir).catch(() => [] as string[]);
/** A record that cannot be read (a link, a special file: a modified cache) lists as broken. */
const orUndefined = <T>(read: () => T | undefined): T | undefined => {
  try {
    return read();
  } catch {
    return undefined;
  }
};

/** Lists the entries of the cache under `root`; with `lockfile`, says which ones it pins. Reads records only, never runs anything. */
export async function listCache(root: string, lockfile?: { readonly providers: Readonly<Record<string, PinnedEntry>> }): Promise<CacheListing> {
  const dirs = cacheDirs(root);
  const pinnedBundles = new Set<string>();
  const pinnedCheckouts = new Set<string>();
  for (const entry of Object.values(lockfile?.providers ?? {})) {
    pinnedBundles.add(bundleKey(entry.url, entry.commit, entry.subdir));
    pinnedCheckouts.add(join(hashName(entry.url), entry.commit));
  }
  const pinned = (set: Set<string>, name: string) => (lockfile ? set.has(name) : null);
  const entries: CacheEntryInfo[] = [];
  for (const repository of await list(dirs.git)) {
    for (const commit of await list(join(dirs.git, repository))) {
      const path = join(dirs.git, repository, commit);
      const record = await readCheckoutRecord(path).catch(() => undefined);
      entries.push({
        kind: 'checkout',
        path,
        bytes: await sizeOf(path),
        commit,
        ...(record ? { url: record.url, createdAt: record.fetchedAt } : { broken: true as const }),
        pinned: pinned(pinnedCheckouts, join(repository, commit)),
      });
    }
  }
  for (const key of await list(dirs.bundles)) {
    const path = join(dirs.bundles, key);
    const record = orUndefined(() => readBundleRecord(path));
    entries.push({
      kind: 'bundle',
      path,
      bytes: await sizeOf(path),
      ...(record
        ? {
            url: record.url,
            commit: record.commit,
            subdir: record.subdir,
            provider: { id: record.manifest.id, version: record.manifest.version },
            createdAt: record.builtAt,
          }
        : { broken: true as const }),
      pinned: pinned(pinnedBundles, key),
    });
  }
  for (const key of await list(dirs.deps)) {
    const path = join(dirs.deps, key);
    entries.push({ kind: 'deps', path, bytes: await sizeOf(path), pinned: null });
  }
  for (const name of await list(dirs.tmp)) {
    const path = join(dirs.tmp, name);
    entries.push({ kind: 'leftover', path, bytes: await sizeOf(path), pinned: lockfile ? false : null });
  }
  return { root: dirs.root, entries, totalBytes: entries.reduce((sum, e) => sum + e.bytes, 0) };
}

/**
 * Deletes everything the cache can fetch or build again: checkouts, bundles, dependencies,
 * remembered refs and leftovers. The training job records under `state/` are kept, as they cannot
 * be rebuilt. Resolves to the folders it deleted and the bytes they held.
 */
export async function cleanCache(root: string): Promise<{ removed: string[]; bytes: number }> {
  const dirs = cacheDirs(root);
  const removed: string[] = [];
  let bytes = 0;
  for (const dir of [dirs.git, dirs.bundles, dirs.deps, dirs.refs, dirs.tmp]) {
    const size = await lstat(dir).then(
      () => sizeOf(dir),
      () => undefined,
    );
    if (size === undefined) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
    bytes += size;
  }
  return { removed, bytes };
}
