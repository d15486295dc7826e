import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheDirs } from './cache-dirs.js';
import { sweepLeftovers, temporaryEntryPid } from './sweep-leftovers.js';

const swept = new Set<string>();

/**
 * A fresh temporary folder in the cache's `tmp/` (same filesystem, so rename is atomic). The first
 * call of a process for a cache deletes what loads killed mid-write left there.
 */
export async function temporaryEntry(dirs: CacheDirs, label: string): Promise<string> {
  if (!swept.has(dirs.tmp)) {
    swept.add(dirs.tmp);
    await sweepLeftovers(dirs.tmp, temporaryEntryPid);
  }
  // Unique, not secret: Math.random rather than node:crypto, which a cold load would otherwise
  // load here, before its git process starts.
  const path = join(dirs.tmp, `${label}-${process.pid}-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`);
  await mkdir(path, { recursive: true });
  return path;
}

/**
 * Moves a finished temporary folder to its final place in one rename. If another process
 * published the same entry first, ours is discarded: entries are immutable and equal.
 * Returns false when someone else's entry was kept.
 */
export async function publishEntry(temporary: string, final: string): Promise<boolean> {
  await mkdir(join(final, '..'), { recursive: true });
  try {
    await rename(temporary, final);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    await rm(temporary, { recursive: true, force: true });
    if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
    throw error;
  }
}
