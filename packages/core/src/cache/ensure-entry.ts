import { lstat, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mcError } from '../util/errors.js';
import type { CacheDirs } from './cache-dirs.js';
import { withEntryLock } from './entry-lock.js';
import { publishEntry, temporaryEntry } from './publish-entry.js';

/** How to find, and if needed make, one immutable cache entry. */
export interface EntrySpec<T> {
  /** Name of the inter-process lock that serialises work on this entry. */
  lock: string;
  /** The entry's final folder. */
  final: string;
  /** Reads the complete entry; `undefined` when it does not exist (yet). */
  read(): Promise<T | undefined>;
  /** When the cache is offline and the entry is missing: the `NOT_CACHED` message. */
  offline?: string | undefined;
  /** Called when the entry was already there. */
  onCached?(value: T): void;
  /** Writes the entry's files into `temporary` (published by one rename afterwards). */
  create(temporary: string): Promise<void>;
  /** Label of the temporary folder. */
  kind: string;
  /** Longest wait for another process working on the same entry. */
  waitMs: number;
  /** Stops waiting for the lock (the step's time limit, or the registry closing). */
  signal?: AbortSignal | undefined;
}

/**
 * The one way the pipeline fills the cache: exists? → offline? → lock → exists now? →
 * write to a temporary folder → publish it with one rename. A half-written entry is never
 * visible, and processes racing for the same entry do the work once. A folder at the entry's place
 * that does not read as complete (an older cache's, or a broken one) is moved away first.
 */
export async function ensureEntry<T>(dirs: CacheDirs, spec: EntrySpec<T>): Promise<T> {
  const cached = await spec.read();
  if (cached !== undefined) {
    spec.onCached?.(cached);
    return cached;
  }
  if (spec.offline !== undefined) throw mcError('NOT_CACHED', spec.offline);
  return withEntryLock(
    dirs,
    spec.lock,
    async () => {
      const again = await spec.read();
      if (again !== undefined) {
        spec.onCached?.(again);
        return again;
      }
      await discardIncomplete(dirs, spec.final);
      const temporary = await temporaryEntry(dirs, spec.kind);
      try {
        await spec.create(temporary);
        await publishEntry(temporary, spec.final);
      } finally {
        await rm(temporary, { recursive: true, force: true });
      }
      const published = await spec.read();
      if (published === undefined) throw mcError('NOT_CACHED', `cache: the entry ${spec.final} was published but cannot be read back; run \`mediaconduit cache verify --fix\``);
      return published;
    },
    spec.waitMs,
    spec.signal,
  );
}

/** Moves a folder that does not read as a complete entry out of the way (one rename), then deletes it. */
async function discardIncomplete(dirs: CacheDirs, final: string): Promise<void> {
  if (!(await lstat(final).catch(() => undefined))) return;
  const trash = await temporaryEntry(dirs, 'trash');
  await rename(final, join(trash, 'old'));
  await rm(trash, { recursive: true, force: true });
}
