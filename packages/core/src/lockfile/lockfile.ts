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
  /**
   * Where the provider runs when loaded without an `isolation` override: `'process'` (a child
   * process of its own) or `'none'` (the host's). Written by the load that pinned it; absent in
   * lockfiles written before isolation existed.
   */
  isolation?: 'process' | 'none';
}

/** The whole lockfile. */
export interface Lockfile {
  lockfileVersion: 1;
  providers: Record<string, LockEntry>;
}

/** Reads a lockfile (synchronously: it is small, and on the warm path); a missing file is an empty lockfile. */
export function readLockfile(path: string): Lockfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lockfileVersion: 1, providers: {} };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const position = Number(/at position (\d+)/.exec((error as Error).message)?.[1]);
    throw corrupt(path, `is not valid JSON${Number.isNaN(position) ? '' : ` (${lineAndColumn(text, position)})`}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw corrupt(path, `is not a lockfile object (it holds ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed})`);
  const { lockfileVersion, providers } = parsed as Partial<Lockfile>;
  if (lockfileVersion !== 1) throw corrupt(path, `lockfileVersion is ${JSON.stringify(lockfileVersion)}; this version of MediaConduit reads lockfileVersion 1`);
  if (typeof providers !== 'object' || providers === null || Array.isArray(providers)) throw corrupt(path, 'providers must be an object');
  for (const [key, entry] of Object.entries(providers)) {
    const broken = brokenFields(key, entry);
    if (broken.length === 0) continue;
    const line = text.split('\n').findIndex((l) => l.includes(`${JSON.stringify(key)}:`)) + 1;
    const fields = broken.length === 1 ? broken[0] : `${broken.slice(0, -1).join(', ')} and ${broken.at(-1)}`;
    throw mcError(
      'LOCKFILE_CORRUPT',
      `lockfile ${path} is corrupt: entry ${JSON.stringify(key)}${line > 0 ? ` (line ${line})` : ''}: ${fields} ${broken.length === 1 ? 'is' : 'are'} missing or malformed; fix or remove this entry (then \`mediaconduit update <specifier>\` records it again), or restore the file from version control`,
      { details: { path, entry: key, fields: broken, ...(line > 0 ? { line } : {}) } },
    );
  }
  return parsed as Lockfile;
}

const SHA1 = /^[0-9a-f]{40}$/;
const isString = (value: unknown) => typeof value === 'string';
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The fields of a lockfile entry that are missing or of the wrong shape, or (`url`, `subdir` and
 * `ref`) that do not spell its key: an entry is found by its key, so fields that say another
 * repository would describe one thing and pin another.
 */
function brokenFields(key: string, entry: unknown): string[] {
  const e = isObject(entry) ? entry : {};
  const checks: [string, boolean][] = [
    ['url', isString(e.url)],
    ['subdir', isString(e.subdir)],
    ['ref', e.ref === null || isString(e.ref)],
    ['resolved', e.resolved === null || isString(e.resolved)],
    ['resolvedKind', e.resolvedKind === 'tag' || e.resolvedKind === 'branch' || e.resolvedKind === 'commit'],
    ['commit', isString(e.commit) && SHA1.test(e.commit as string)],
    ['tree', isString(e.tree) && SHA1.test(e.tree as string)],
    ['bundle', isObject(e.bundle) && isString(e.bundle.key) && isString(e.bundle.sha256) && /^[0-9a-f]{64}$/.test(e.bundle.sha256 as string)],
    ['provider', isObject(e.provider) && isString(e.provider.id) && isString(e.provider.version)],
    ['isolation', e.isolation === undefined || e.isolation === 'process' || e.isolation === 'none'],
  ];
  const broken = checks.filter(([, ok]) => !ok).map(([name]) => name);
  if (broken.some((name) => name === 'url' || name === 'subdir' || name === 'ref')) return broken;
  const spelled = `${e.url as string}${e.subdir ? `//${e.subdir as string}` : ''}${e.ref === null ? '' : `@${e.ref as string}`}`;
  return spelled === key ? broken : [...broken, `url, subdir and ref, which spell ${JSON.stringify(spelled)} instead of the key,`];
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function corrupt(path: string, what: string) {
  return mcError(
    'LOCKFILE_CORRUPT',
    `lockfile ${path} ${what}; restore it from version control, or delete it and run \`mediaconduit update\` for each provider to write it again`,
    {
      details: { path },
    },
  );
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
