import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gitTreeHash } from '../git/tree-hash.js';
import { readBundleRecord } from './bundle-record.js';
import { sha256 } from '../util/hash.js';
import { readCapped } from '../util/read-capped.js';
import { cacheDirs } from './cache-dirs.js';
import { readCheckoutRecord } from './checkout-record.js';
import { readDependenciesRecord } from './dependencies-record.js';

/** One problem `verifyCache` found. */
export interface CacheProblem {
  /** The entry folder. */
  path: string;
  /** What is wrong, naming both hashes. */
  message: string;
}

/**
 * Recomputes the hash of every cached bundle and the tree hash of every checkout and of every set
 * of installed dependencies, and compares them with their records (a link or special file added
 * to a checkout is a problem too). With `fix`, broken entries are deleted so the next load rebuilds or
 * fetches them again.
 */
export async function verifyCache(root: string, options: { fix?: boolean } = {}): Promise<{ checked: number; problems: CacheProblem[] }> {
  const dirs = cacheDirs(root);
  const problems: CacheProblem[] = [];
  let checked = 0;
  for (const key of await readdir(dirs.bundles).catch(() => [] as string[])) {
    const dir = join(dirs.bundles, key);
    const record = (() => {
      try {
        return readBundleRecord(dir);
      } catch {
        return undefined; // a record that is a link or special file
      }
    })();
    checked++;
    if (!record) {
      problems.push({ path: dir, message: 'record.json is missing or unreadable' });
      continue;
    }
    const bytes = await readCapped(join(dir, record.bundleFile), { maxBytes: 256 * 1024 * 1024, code: 'INTEGRITY_MISMATCH', what: record.bundleFile }).catch(() => undefined);
    const actual = bytes ? sha256(bytes) : 'missing';
    if (actual !== record.sha256) problems.push({ path: dir, message: `bundle ${record.bundleFile}: expected sha256 ${record.sha256}, found ${actual}` });
  }
  for (const repository of await readdir(dirs.git).catch(() => [] as string[])) {
    for (const commit of await readdir(join(dirs.git, repository)).catch(() => [] as string[])) {
      const entry = join(dirs.git, repository, commit);
      checked++;
      const record = await readCheckoutRecord(entry).catch(() => undefined);
      if (!record) {
        problems.push({ path: entry, message: `checkout of ${commit.slice(0, 12)}: its record is missing, unreadable or from an older cache (no tree hash to check it against)` });
        continue;
      }
      const tree = await gitTreeHash(join(entry, 'tree')).catch(() => 'unreadable');
      if (tree !== record.tree) problems.push({ path: entry, message: `checkout of ${commit.slice(0, 12)}: expected tree ${record.tree}, files hash to ${tree}` });
    }
  }
  for (const key of await readdir(dirs.deps).catch(() => [] as string[])) {
    const entry = join(dirs.deps, key);
    checked++;
    const record = await readDependenciesRecord(entry).catch(() => undefined);
    if (!record) {
      problems.push({ path: entry, message: 'dependencies: the record is missing, unreadable or from an older cache (no tree hash to check them against)' });
      continue;
    }
    const tree = await gitTreeHash(join(entry, 'node_modules'), { root: entry }).catch(() => 'unreadable');
    if (tree !== record.tree) problems.push({ path: entry, message: `dependencies: expected tree ${record.tree}, files hash to ${tree}` });
  }
  if (options.fix) for (const problem of problems) await rm(problem.path, { recursive: true, force: true });
  return { checked, problems };
}
