import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mcError } from '../util/errors.js';
import { hashName } from '../util/hash.js';
import type { CacheDirs } from './cache-dirs.js';

/**
 * Runs `work` while holding an inter-process lock named after `name` (hashed). A lock whose
 * holder died is taken over once it has not been refreshed for `staleMs`. Waits at most
 * `waitMs` for the lock, then fails with `LOCK_TIMEOUT`. proper-lockfile is loaded on first use:
 * only writers need it, and warm loads never write.
 */
export async function withEntryLock<T>(dirs: CacheDirs, name: string, work: () => Promise<T>, waitMs = 10 * 60_000): Promise<T> {
  const { default: lockfile } = await import('proper-lockfile');
  await mkdir(dirs.locks, { recursive: true });
  const target = join(dirs.locks, hashName(name));
  const staleMs = 20_000;
  let release: (() => Promise<void>) | undefined;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      release = await lockfile.lock(target, { realpath: false, stale: staleMs, update: staleMs / 4, retries: 0 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() > deadline) throw mcError('LOCK_TIMEOUT', `cache: waited ${waitMs} ms for another process working on ${name}; if none is running, delete ${target}.lock`);
      await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 75));
    }
  }
  try {
    return await work();
  } finally {
    await release().catch(() => {});
  }
}
