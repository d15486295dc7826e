import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gitTreeHash } from '../git/tree-hash.js';
import { readBundleRecord } from './bundle-record.js';
import { sha256 } from '../util/hash.js';
import { cacheDirs, checkoutEntry } from './cache-dirs.js';

/** One problem `verifyCache` found. */
export interface CacheProblem {
  /** The entry folder. */
  path: string;
  /** What is wrong, naming both hashes. */
  message: string;
}

/**
 * Recomputes the hash of every cached bundle and the tree hash of every checkout a bundle was
 * built from, and compares them with the records. With `fix`, broken entries are deleted so
 * the next load rebuilds them.
 */
export async function verifyCache(root: string, options: { fix?: boolean } = {}): Promise<{ checked: number; problems: CacheProblem[] }> {
  const dirs = cacheDirs(root);
  const problems: CacheProblem[] = [];
  let checked = 0;
  for (const key of await readdir(dirs.bundles).catch(() => [] as string[])) {
    const dir = join(dirs.bundles, key);
    const record = await readBundleRecord(dir);
    checked++;
    if (!record) {
      problems.push({ path: dir, message: 'record.json is missing or unreadable' });
      continue;
    }
    const bytes = await readFile(join(dir, record.bundleFile)).catch(() => undefined);
    const actual = bytes ? sha256(bytes) : 'missing';
    if (actual !== record.sha256) problems.push({ path: dir, message: `bundle ${record.bundleFile}: expected sha256 ${record.sha256}, found ${actual}` });
    const checkout = checkoutEntry(dirs, record.url, record.commit);
    if (
      await stat(join(checkout, 'tree')).then(
        () => true,
        () => false,
      )
    ) {
      checked++;
      const tree = await gitTreeHash(join(checkout, 'tree', record.subdir));
      if (tree !== record.tree)
        problems.push({
          path: checkout,
          message: `checkout of ${record.commit.slice(0, 12)}${record.subdir ? ` (${record.subdir})` : ''}: expected tree ${record.tree}, files hash to ${tree}`,
        });
    }
  }
  if (options.fix) for (const problem of problems) await rm(problem.path, { recursive: true, force: true });
  return { checked, problems };
}
