import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processIsGone } from './process-is-gone.js';

/**
 * Deletes what processes that are gone left in `folder`: the entries `pidOf` recognises whose
 * writer no longer runs on this machine (a load killed mid-write). Entries of live processes,
 * and anything it does not recognise, are kept. Resolves to what it deleted.
 */
export async function sweepLeftovers(folder: string, pidOf: (name: string) => number | undefined): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const pid = pidOf(name);
    if (pid === undefined || pid === process.pid || !processIsGone(pid)) continue;
    await rm(join(folder, name), { recursive: true, force: true });
    removed.push(join(folder, name));
  }
  return removed;
}

/** Temporary cache entries are `<label>-<pid>-<random>` (see `temporaryEntry`). */
export const temporaryEntryPid = (name: string): number | undefined => {
  const match = /^[a-z]+-(\d+)-[0-9a-f]+$/.exec(name);
  return match ? Number(match[1]) : undefined;
};

/** Half-written copies of `file` are `<file>.<pid>.<random>.tmp` (see `atomicWriteFile`). */
export function sweepHalfWritten(file: string): Promise<string[]> {
  const prefix = `${basename(file)}.`;
  return sweepLeftovers(dirname(file), (name) => {
    if (!name.startsWith(prefix)) return undefined;
    const match = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length));
    return match ? Number(match[1]) : undefined;
  });
}
