import { join } from 'node:path';
import { atomicWriteFile } from '../util/atomic-write.js';
import { readCapped } from '../util/read-capped.js';
import type { CacheDirs } from './cache-dirs.js';

/** The boundary's text: a package.json that says nothing esbuild acts on. */
const BOUNDARY = `${JSON.stringify(
  {
    name: 'mediaconduit-checkouts',
    private: true,
    description: 'Written by MediaConduit: the package.json above every checkout, so that a provider without one of its own is built the same wherever the cache is.',
  },
  null,
  2,
)}\n`;

/**
 * Puts a neutral `package.json` above every checkout (`<cache>/git/package.json`). esbuild applies
 * the nearest package.json to each file it bundles (`"sideEffects": false` drops imports made for
 * their effects; `"type"` changes how `.js` is read). A repository without one of its own would get
 * whatever lies above the cache, and the default cache (`./cache`) sits in an application's folder.
 * Rewritten when its text is not this (a crash, an edit), so it cannot change a build either.
 */
export async function ensurePackageBoundary(dirs: CacheDirs): Promise<void> {
  const file = join(dirs.git, 'package.json');
  // Read as any file of the cache is: a link or a special file put there is replaced, never read.
  const text = await readCapped(file, { maxBytes: 4096, code: 'FILE_SYSTEM_ERROR', what: 'cache: git/package.json' }).then(
    (bytes) => bytes?.toString('utf8'),
    () => undefined,
  );
  if (text !== BOUNDARY) await atomicWriteFile(file, BOUNDARY);
}
