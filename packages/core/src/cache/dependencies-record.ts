import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCapped } from '../util/read-capped.js';
import { CACHE_FIX } from './cache-dirs.js';

/** The record beside installed dependencies (`deps/<key>/record.json`): its presence marks the entry complete. */
export interface DependenciesRecord {
  format: 1;
  /** Hash of the provider's `package.json` and `package-lock.json` the entry was installed from. */
  lockHash: string;
  /** Tree hash of `node_modules` as installed: a reused entry must still match it. */
  tree: string;
  installedAt: string;
}

/** The record of a dependencies entry; `undefined` when there is none (an entry of an older cache has none either). */
export async function readDependenciesRecord(entry: string): Promise<DependenciesRecord | undefined> {
  const path = join(entry, 'record.json');
  const bytes = await readCapped(path, { maxBytes: 64 * 1024, code: 'INTEGRITY_MISMATCH', what: `the cache record ${path}`, fix: CACHE_FIX });
  try {
    const record = JSON.parse(bytes?.toString('utf8') ?? 'null') as Partial<DependenciesRecord> | null;
    return record?.format === 1 && typeof record.tree === 'string' && typeof record.lockHash === 'string' ? (record as DependenciesRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the record of freshly installed dependencies into their temporary entry. */
export async function writeDependenciesRecord(entry: string, lockHash: string, tree: string): Promise<void> {
  const record: DependenciesRecord = { format: 1, lockHash, tree, installedAt: new Date().toISOString() };
  await writeFile(join(entry, 'record.json'), JSON.stringify(record));
}
