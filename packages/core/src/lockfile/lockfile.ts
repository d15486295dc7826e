import { readFileSync } from 'node:fs';
import { mcError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic-write.js';

/** Default lockfile name, in the working folder. */
export const LOCKFILE_NAME = 'mediaconduit.lock.json';

/** One pinned provider. Never holds secrets. */
export interface LockEntry {
  /** Canonical repository URL. */
  url: string;
  /** Provider folder inside the repository. */
  subdir: string;
  /** The ref as requested (`^1.2`, `main`), or null for the default branch. */
  ref: string | null;
  /** The tag or branch the ref resolved to, or null for a commit. */
  resolved: string | null;
  /** Whether `resolved` is a tag (a moved tag is an integrity error) or a branch. */
  resolvedKind: 'tag' | 'branch' | 'commit';
  /** Full commit SHA. */
  commit: string;
  /**
   * Tree hash of the provider folder at `commit`, computed from the checked-out files in git's
   * tree-object format: equal to git's tree id, except that submodules (never fetched) are left out.
   */
  tree: string;
  /** The built bundle: its SHA-256 and the key (commit, core, build settings) it was built under. */
  bundle: { key: string; sha256: string };
  /** Manifest id and version, for humans reading the file. */
  provider: { id: string; version: string };
}

/** The whole lockfile. */
export interface Lockfile {
  lockfileVersion: 1;
  providers: Record<string, LockEntry>;
}

/** Reads a lockfile (synchronously: it is small, and on the warm path); a missing file is an empty lockfile. */
export async function readLockfile(path: string): Promise<Lockfile> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lockfileVersion: 1, providers: {} };
    throw error;
  }
  let parsed: Partial<Lockfile>;
  try {
    parsed = JSON.parse(text) as Partial<Lockfile>;
  } catch (error) {
    throw mcError('INTEGRITY_MISMATCH', `lockfile ${path} is not valid JSON (${(error as Error).message}); restore it from version control or delete it and run update`);
  }
  if (parsed.lockfileVersion !== 1 || typeof parsed.providers !== 'object' || parsed.providers === null) {
    throw mcError('INTEGRITY_MISMATCH', `lockfile ${path} has an unknown format (lockfileVersion ${String(parsed.lockfileVersion)}); this core reads version 1`);
  }
  return parsed as Lockfile;
}

/** Writes a lockfile atomically with sorted keys, so diffs stay small. */
export async function writeLockfile(path: string, lockfile: Lockfile): Promise<void> {
  const providers = Object.fromEntries(
    Object.keys(lockfile.providers)
      .sort()
      .map((key) => [key, lockfile.providers[key]!]),
  );
  await atomicWriteFile(path, `${JSON.stringify({ lockfileVersion: 1, providers }, null, 2)}\n`);
}
