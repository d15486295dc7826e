import { appendFileSync } from 'node:fs';
import { readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processIsGone } from './process-is-gone.js';
import { isInside } from '../util/is-inside.js';

/** The file of a temporary entry that names the git processes writing into it, one pid per line. */
const CHILDREN_FILE = 'children';

/**
 * What to call with the pid of each git process that writes into `temporary` (git runs in a
 * process group of its own, so its pid names the group). A host killed with `kill -9` cannot end
 * them; the next process that sweeps the cache reads this file and does.
 */
export function recordChildren(temporary: string): (pid: number) => void {
  return (pid) => {
    try {
      appendFileSync(join(temporary, CHILDREN_FILE), `${pid}\n`);
    } catch {
      // The sweep then only waits for the writer instead of ending it; nothing breaks.
    }
  };
}

/** Removes the record of `recordChildren` once its git processes have ended, before the entry is published. */
export function discardChildrenRecord(temporary: string): Promise<void> {
  return rm(join(temporary, CHILDREN_FILE), { force: true });
}

/**
 * Deletes what processes that are gone left in `folder`: the entries `pidOf` recognises whose
 * writer no longer runs on this machine (a load killed mid-write). The git processes such a load
 * left running are ended first. Entries of live processes, and anything it does not recognise,
 * are kept. It never fails: what it cannot delete now (a writer it does not know still writing,
 * no permission) stays for a later sweep. Resolves to what it deleted.
 */
export async function sweepLeftovers(folder: string, pidOf: (name: string) => number | undefined): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const pid = pidOf(name);
    if (pid === undefined || pid === process.pid || !processIsGone(pid)) continue;
    const path = join(folder, name);
    await endChildren(path);
    try {
      await rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      removed.push(path);
    } catch {
      // Still being written by a process this sweep could not end: left for a later sweep.
    }
  }
  return removed;
}

/** Ends the recorded git process groups of a leftover entry that still run in it. */
async function endChildren(entry: string): Promise<void> {
  const pids = await readFile(join(entry, CHILDREN_FILE), 'utf8').then(
    (text) =>
      text
        .split('\n')
        .map(Number)
        .filter((pid) => Number.isInteger(pid) && pid > 1),
    () => [] as number[],
  );
  for (const pid of pids) {
    if (processIsGone(pid) || !(await worksIn(pid, entry))) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
}

/**
 * Whether process `pid` still works inside `entry` (its current folder is there), so that a pid
 * reused by an unrelated process is never signalled. Known only where `/proc` tells (Linux);
 * elsewhere the sweep leaves the entry to a later sweep.
 */
async function worksIn(pid: number, entry: string): Promise<boolean> {
  const [cwd, real] = await Promise.all([readlink(`/proc/${pid}/cwd`).catch(() => undefined), realpath(entry).catch(() => entry)]);
  return cwd !== undefined && isInside(real, cwd);
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
