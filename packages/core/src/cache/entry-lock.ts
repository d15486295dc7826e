import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mcError } from '../util/errors.js';
import { hashName } from '../util/hash.js';
import type { CacheDirs } from './cache-dirs.js';
import { processIsGone } from './process-is-gone.js';

/** Who holds a lock: written into the lock folder right after it is made. */
interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/** A lock's age after which its holder counts as gone even when it cannot be asked (another machine). */
const STALE_MS = 20_000;
/** How long a lock folder may lack its owner record (its holder died between the two steps). */
const OWNERLESS_MS = 2_000;

/** The lock folder for `name` (hashed: names hold URLs). */
export function lockPath(dirs: CacheDirs, name: string): string {
  return join(dirs.locks, `${hashName(name)}.lock`);
}

/**
 * Runs `work` while holding an inter-process lock named after `name`. A lock is a folder made
 * with one `mkdir`, holding its owner's pid and host. A lock whose holder is a dead process on
 * this machine is taken over at once; one that has not been refreshed for 20 s (a holder on
 * another machine) too. Waits at most `waitMs`, then fails with `LOCK_TIMEOUT`. It installs no
 * signal handlers: a killed holder's lock is simply taken over by the next process. `signal` stops
 * the wait (with its reason), never work already holding the lock.
 */
export async function withEntryLock<T>(dirs: CacheDirs, name: string, work: () => Promise<T>, waitMs = 10 * 60_000, signal?: AbortSignal): Promise<T> {
  await mkdir(dirs.locks, { recursive: true });
  const path = lockPath(dirs, name);
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: `${process.pid}-${Math.random().toString(36).slice(2)}` };
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw signal.reason;
    if (await tryLock(path, owner)) break;
    if (await takeOverIfStale(path)) continue;
    if (Date.now() > deadline)
      throw mcError('LOCK_TIMEOUT', `cache: waited ${waitMs} ms for another process working on ${name}; if none is running, delete ${path}`, { details: { path } });
    await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** Math.min(attempt, 3), 200) * (0.5 + Math.random())));
  }
  // Keep the lock fresh for holders on other machines, which can only judge it by its age.
  const refresh = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => {}), STALE_MS / 4);
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    await release(path, owner);
  }
}

async function tryLock(path: string, owner: LockOwner): Promise<boolean> {
  try {
    await mkdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await writeFile(join(path, 'owner.json'), JSON.stringify(owner));
  return true;
}

/** Moves a stale lock out of the way (one rename, so two takers cannot both succeed); true when it did. */
async function takeOverIfStale(path: string): Promise<boolean> {
  const [owner, info] = await Promise.all([readOwner(path), stat(path).catch(() => undefined)]);
  if (!info) return true; // released meanwhile: try again at once
  const age = Date.now() - info.mtimeMs;
  const stale = owner ? (owner.host === hostname() && processIsGone(owner.pid)) || age > STALE_MS : age > OWNERLESS_MS;
  if (!stale) return false;
  const tomb = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await rename(path, tomb);
  } catch {
    return true; // another process took it over first; race for the new lock
  }
  await rm(tomb, { recursive: true, force: true });
  return true;
}

async function release(path: string, owner: LockOwner): Promise<void> {
  const current = await readOwner(path);
  if (current?.token === owner.token) await rm(path, { recursive: true, force: true });
}

/**
 * The lock's owner record; `undefined` when it is missing or not (yet) whole: another process may
 * be between making the folder and writing its record.
 */
async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(join(path, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}
