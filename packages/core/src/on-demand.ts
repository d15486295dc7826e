// Entry points whose modules are imported on first call, so that `import('@mediaconduit/core')`
// stays cheap: the folder loader brings esbuild; the cache commands bring hashing and tree walks.
import type { CacheListing } from './cache/list-cache.js';
import type { CacheProblem } from './cache/verify-cache.js';
import type { Lockfile } from './lockfile/lockfile.js';
import type { LocalRepositoryState } from './git/local-state.js';
import type { FolderProvider, LoadFolderOptions } from './registry/load-folder.js';
import { parseSpecifier } from './source/parse-specifier.js';

export type { CacheProblem } from './cache/verify-cache.js';
export type { CacheEntryInfo, CacheListing } from './cache/list-cache.js';
export type { FolderProvider, LoadFolderOptions } from './registry/load-folder.js';
export type { LocalRepositoryState } from './git/local-state.js';

/**
 * Loads the provider in a local folder (uncommitted changes included) without Git or the cache:
 * manifest, build, import, create. For provider authors' tests and `mediaconduit validate`.
 * Dependencies must already be installed in the folder (`npm install`).
 */
export async function loadProviderFromFolder(folder: string, options: LoadFolderOptions = {}): Promise<FolderProvider> {
  return (await import('./registry/load-folder.js')).loadProviderFromFolder(folder, options);
}

/** Recomputes the hashes of every cache entry under `cacheDir`; `fix` deletes broken entries. */
export async function verifyCache(cacheDir: string, options: { fix?: boolean } = {}): Promise<{ checked: number; problems: CacheProblem[] }> {
  return (await import('./cold-side.js')).verifyCache(cacheDir, options);
}

/** Deletes cache entries `lockfile` does not pin, and leftovers of interrupted writes. Resolves to what it deleted. */
export async function pruneCache(cacheDir: string, lockfile: Lockfile): Promise<string[]> {
  return (await import('./cold-side.js')).pruneCache(cacheDir, lockfile);
}

/** Lists the entries of the cache under `cacheDir` with their sizes; with `lockfile`, says which ones it pins. */
export async function listCache(cacheDir: string, lockfile?: Lockfile): Promise<CacheListing> {
  return (await import('./cold-side.js')).listCache(cacheDir, lockfile);
}

/** Deletes everything in the cache that can be fetched or built again; training job records (`state/`) stay. */
export async function cleanCache(cacheDir: string): Promise<{ removed: string[]; bytes: number }> {
  return (await import('./cold-side.js')).cleanCache(cacheDir);
}

/**
 * For a local (`file:` or path) specifier: the commit its ref names now, and what in the
 * provider's folder is not committed, so that a command can tell its author that a load used an
 * older pinned commit or left changes out. `undefined` for any other specifier, a full-commit ref,
 * or when git cannot say. `ignore`: paths to leave out (the cache and lockfile inside the repository).
 */
export async function localRepositoryState(
  specifier: string,
  options: { ignore?: readonly string[]; limit?: number; signal?: AbortSignal } = {},
): Promise<LocalRepositoryState | undefined> {
  return (await import('./git/local-state.js')).localRepositoryState(parseSpecifier(specifier), options);
}
