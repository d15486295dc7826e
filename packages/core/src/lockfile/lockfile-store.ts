import { mcError } from '../util/errors.js';
import type { CacheDirs } from '../cache/cache-dirs.js';
import { readLockfile, writeLockfile, type LockEntry, type Lockfile } from './lockfile.js';

/** Reads the lockfile once, and merges writes into the file under an inter-process lock. */
export class LockfileStore {
  private cached: Lockfile | undefined;

  constructor(
    readonly path: string | false,
    readonly frozen: boolean,
  ) {}

  /** The entry for a canonical specifier key, if the lockfile has one. */
  async get(key: string): Promise<LockEntry | undefined> {
    if (this.path === false) return undefined;
    this.cached ??= readLockfile(this.path);
    return this.cached.providers[key];
  }

  /**
   * Whether the lockfile pins `key`, read again from the file when this store has no entry for it
   * (another process may have pinned it since this one read the file).
   */
  async pins(key: string): Promise<boolean> {
    if (this.path === false) return false;
    if (await this.get(key)) return true;
    this.cached = readLockfile(this.path);
    return this.cached.providers[key] !== undefined;
  }

  /**
   * Records `entry` under `key`. A no-op when nothing changed; `LOCKFILE_FROZEN` in frozen mode
   * when it would change. Other processes' entries written meanwhile are kept.
   */
  async set(key: string, entry: LockEntry, dirs: CacheDirs, options: { derivedOnly?: boolean } = {}): Promise<void> {
    const path = this.path;
    if (path === false) return;
    const current = await this.get(key);
    if (current && JSON.stringify(current) === JSON.stringify(entry)) return;
    if (this.frozen) {
      if (options.derivedOnly) return; // only the bundle hash changed (new core or esbuild): nothing pinned moved
      throw mcError(
        'LOCKFILE_FROZEN',
        current
          ? `lockfile ${path} is frozen but ${key} would change from commit ${current.commit} to ${entry.commit}; run registry.update() (or \`mediaconduit update\`) without frozen mode`
          : `lockfile ${path} is frozen and has no entry for ${key}; add it with registry.update() (or \`mediaconduit update\`) without frozen mode`,
      );
    }
    // Only writers need the lock (and its sweep): loaded on first write, so that importing core stays cheap.
    const [{ withEntryLock }, { sweepHalfWritten }] = await Promise.all([import('../cache/entry-lock.js'), import('../cache/sweep-leftovers.js')]);
    await withEntryLock(dirs, `lockfile:${path}`, async () => {
      // Under the lock, half-written copies of processes that are gone can go.
      await sweepHalfWritten(path);
      const fresh = readLockfile(path);
      fresh.providers[key] = entry;
      await writeLockfile(path, fresh);
      this.cached = fresh;
    });
  }

  /** Refuses early, before any network, when frozen mode forbids adding `key`. */
  async assertMayAdd(key: string): Promise<void> {
    if (this.path !== false && this.frozen && !(await this.get(key))) {
      throw mcError(
        'LOCKFILE_FROZEN',
        `lockfile ${this.path} is frozen and has no entry for ${key}; add it with registry.update() (or \`mediaconduit update\`) without frozen mode`,
      );
    }
  }
}
