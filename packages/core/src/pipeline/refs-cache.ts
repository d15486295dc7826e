import { readFile } from 'node:fs/promises';
import { atomicWriteFile } from '../util/atomic-write.js';
import { refsFile, type CacheDirs } from '../cache/cache-dirs.js';
import type { LockEntry } from '../lockfile/lockfile.js';

/** A commit to load, and how it was chosen. */
export interface Pin {
  commit: string;
  resolved: string | null;
  resolvedKind: LockEntry['resolvedKind'];
}

/** The last resolutions of a repository's refs, by ref (`''` for the default branch). For offline mode. */
export async function knownPins(dirs: CacheDirs, url: string): Promise<Record<string, Pin>> {
  return JSON.parse(await readFile(refsFile(dirs, url), 'utf8').catch(() => '{}')) as Record<string, Pin>;
}

/** Records a resolution, keeping the ones other processes wrote meanwhile. */
export async function recordPin(dirs: CacheDirs, url: string, ref: string | undefined, pin: Pin): Promise<void> {
  await atomicWriteFile(refsFile(dirs, url), JSON.stringify({ ...(await knownPins(dirs, url)), [ref ?? '']: pin }));
}
