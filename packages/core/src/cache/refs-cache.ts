import { readFile } from 'node:fs/promises';
import { atomicWriteFile } from '../util/atomic-write.js';
import { refsFile, type CacheDirs } from './cache-dirs.js';

/** A commit to load, and how it was chosen. */
export interface Pin {
  commit: string;
  resolved: string | null;
  /** Whether `resolved` is a tag, a branch, or nothing (a commit given as such). */
  resolvedKind: 'tag' | 'branch' | 'commit';
}

/**
 * The last resolutions of a repository's refs, by ref (`''` for the default branch). For offline
 * mode. A missing or unreadable file (a cache, rebuilt as refs resolve again) counts as empty.
 */
export async function knownPins(dirs: CacheDirs, url: string): Promise<Record<string, Pin>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(refsFile(dirs, url), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    // Only well-formed pins: a commit names a cache folder, so it must be a SHA and nothing else.
    return Object.fromEntries(Object.entries(parsed).filter(([, pin]) => isPin(pin))) as Record<string, Pin>;
  } catch {
    return {};
  }
}

function isPin(value: unknown): value is Pin {
  const pin = value as Partial<Pin> | null;
  return (
    typeof pin === 'object' &&
    pin !== null &&
    typeof pin.commit === 'string' &&
    /^[0-9a-f]{40}$/.test(pin.commit) &&
    (pin.resolved === null || typeof pin.resolved === 'string') &&
    (pin.resolvedKind === 'tag' || pin.resolvedKind === 'branch' || pin.resolvedKind === 'commit')
  );
}

/** Records a resolution, keeping the ones other processes wrote meanwhile. */
export async function recordPin(dirs: CacheDirs, url: string, ref: string | undefined, pin: Pin): Promise<void> {
  await atomicWriteFile(refsFile(dirs, url), JSON.stringify({ ...(await knownPins(dirs, url)), [ref ?? '']: pin }));
}
