import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

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
  try {
    const record = JSON.parse(await readFile(join(entry, 'record.json'), 'utf8')) as Partial<CheckoutRecord>;
    return record.format === 2 && typeof record.tree === 'string' ? (record as CheckoutRecord) : undefined;
  } catch {
    return undefined;
  }
}
