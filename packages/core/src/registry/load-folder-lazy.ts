import type { FolderProvider, LoadFolderOptions } from './load-folder.js';

export type { FolderProvider, LoadFolderOptions } from './load-folder.js';

/**
 * Loads the provider in a local folder (uncommitted changes included) without Git or the cache:
 * manifest, build, import, create. For provider authors' tests and `mediaconduit validate`.
 * Dependencies must already be installed in the folder (`npm install`). The loader (esbuild
 * among it) is imported on first use, so that importing `@mediaconduit/core` stays cheap.
 */
export async function loadProviderFromFolder(folder: string, options: LoadFolderOptions = {}): Promise<FolderProvider> {
  const { loadProviderFromFolder: load } = await import('./load-folder.js');
  return load(folder, options);
}
