import { join } from 'node:path';
import { readCapped } from '../util/read-capped.js';
import { CACHE_FIX } from './cache-dirs.js';

/** The record beside a checkout's files (`git/<hash(url)>/<commit>/record.json`): its presence marks the entry complete. */
export interface CheckoutRecord {
  format: 2;
  url: string;
  commit: string;
  /** Tree hash of the files, computed right after the fetch: a reused checkout must still match it. */
  tree: string;
  fetchedAt: string;
}

/** The record of a checkout entry; `undefined` when there is none, or it is from an older cache without a tree hash. */
export async function readCheckoutRecord(entry: string): Promise<CheckoutRecord | undefined> {
  const path = join(entry, 'record.json');
  const bytes = await readCapped(path, {
    maxBytes: 64 * 1024,
    code: 'INTEGRITY_MISMATCH',
    what: `the cache record ${path}`,
    fix: CACHE_FIX,
  });
  try {
    const record = JSON.parse(bytes?.toString('utf8') ?? 'null') as Partial<CheckoutRecord> | null;
    return record?.format === 2 && typeof record.tree === 'string' ? (record as CheckoutRecord) : undefined;
  } catch {
    return undefined;
  }
}
