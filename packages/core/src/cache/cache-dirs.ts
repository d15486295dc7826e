import { join, resolve } from 'node:path';
import { hashName } from '../util/hash.js';

/** The folders of a cache root. Names below them come from hashes, never from user text. */
export interface CacheDirs {
  root: string;
  git: string;
  deps: string;
  bundles: string;
  refs: string;
  locks: string;
  tmp: string;
}

/** Folder layout under `root`. */
export function cacheDirs(root: string): CacheDirs {
  const abs = resolve(root);
  return { root: abs, git: join(abs, 'git'), deps: join(abs, 'deps'), bundles: join(abs, 'bundles'), refs: join(abs, 'refs'), locks: join(abs, 'locks'), tmp: join(abs, 'tmp') };
}

/** Checkout entry of a commit: `<entry>/record.json` and `<entry>/tree/` (the files). */
export function checkoutEntry(dirs: CacheDirs, url: string, commit: string): string {
  return join(dirs.git, hashName(url), commit);
}

/** Bundle entry for a bundle key. */
export function bundleEntry(dirs: CacheDirs, bundleKey: string): string {
  return join(dirs.bundles, bundleKey);
}

/** Last known resolutions of a repository's refs (for offline mode). */
export function refsFile(dirs: CacheDirs, url: string): string {
  return join(dirs.refs, `${hashName(url)}.json`);
}

/** The fix of every message about a modified cache entry. */
export const CACHE_FIX = 'run `mediaconduit cache verify --fix` to delete what was modified, then load again';
