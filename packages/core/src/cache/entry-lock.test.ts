import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDirs } from './cache-dirs.js';
import { lockPath, withEntryLock } from './entry-lock.js';
import { sweepHalfWritten, temporaryEntryPid } from './sweep-leftovers.js';
import { temporaryEntry } from './publish-entry.js';

const root = await mkdtemp(join(tmpdir(), 'mc-lock-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** The pid of a process that has exited: what a `kill -9` leaves behind. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim());

async function leaveLock(dirs: ReturnType<typeof cacheDirs>, name: string, owner: object | undefined, ageMs = 0): Promise<string> {
  const path = lockPath(dirs, name);
  await mkdir(path, { recursive: true });
  if (owner) await writeFile(join(path, 'owner.json'), JSON.stringify(owner));
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
  return path;
}

describe('withEntryLock', () => {
  const dirs = cacheDirs(join(root, 'cache'));

  it('takes over at once a fresh lock whose holder died on this machine (no waiting for it to age)', async () => {
    await leaveLock(dirs, 'killed', { pid: deadPid(), host: hostname(), token: 'x' });
    // A 50 ms wait could never outlast the 20 s staleness age: only the dead-holder check lets it through.
    expect(await withEntryLock(dirs, 'killed', async () => 'ran', 50)).toBe('ran');
  });

  it('waits for a live holder, then fails with LOCK_TIMEOUT naming the lock folder', async () => {
    const path = await leaveLock(dirs, 'busy', { pid: process.pid, host: hostname(), token: 'someone-else' });
    const error = (await withEntryLock(dirs, 'busy', async () => 'ran', 150).catch((e: unknown) => e)) as MediaConduitError;
    expect(MediaConduitError.hasCode(error, 'LOCK_TIMEOUT')).toBe(true);
    expect(error.message).toContain(path);
    await rm(path, { recursive: true });
  });

  it('takes over a lock of another machine once it has not been refreshed for 20 s, and an ownerless one after 2 s', async () => {
    await leaveLock(dirs, 'remote', { pid: process.pid, host: 'another-machine', token: 'x' }, 25_000);
    expect(await withEntryLock(dirs, 'remote', async () => 'ran', 50)).toBe('ran');
    await leaveLock(dirs, 'ownerless', undefined, 3_000);
    expect(await withEntryLock(dirs, 'ownerless', async () => 'ran', 50)).toBe('ran');
  });

  it('waits for a lock whose owner record is still being written, instead of failing on it', async () => {
    const path = await leaveLock(dirs, 'half-written', undefined);
    await writeFile(join(path, 'owner.json'), '{"pid": 1');
    const error = (await withEntryLock(dirs, 'half-written', async () => 'ran', 100).catch((e: unknown) => e)) as MediaConduitError;
    expect(MediaConduitError.hasCode(error, 'LOCK_TIMEOUT')).toBe(true);
    await rm(path, { recursive: true });
  });

  it('serialises holders in one process and removes its folder when done', async () => {
    const order: string[] = [];
    const hold = (label: string) =>
      withEntryLock(
        dirs,
        'shared',
        async () => {
          order.push(`${label}+`);
          await new Promise((resolve) => setTimeout(resolve, 30));
          order.push(`${label}-`);
        },
        5_000,
      );
    await Promise.all([hold('a'), hold('b')]);
    expect(order.join(' ')).toMatch(/^(a\+ a- b\+ b-|b\+ b- a\+ a-)$/);
    expect(await readdir(dirs.locks)).not.toContain(basename(lockPath(dirs, 'shared')));
  });
});

describe('leftovers of killed loads', () => {
  it('the next temporary entry clears the temporary entries of processes that are gone, and keeps live ones', async () => {
    const dirs = cacheDirs(join(root, 'sweep'));
    const dead = deadPid();
    await mkdir(join(dirs.tmp, `checkout-${dead}-abcdef012345`), { recursive: true });
    await mkdir(join(dirs.tmp, `bundle-${process.pid}-0123456789ab`), { recursive: true });
    const fresh = await temporaryEntry(dirs, 'deps');
    expect((await readdir(dirs.tmp)).sort()).toEqual([`bundle-${process.pid}-0123456789ab`, fresh.split('/').pop()].sort());
  });

  it('names every temporary entry after its writer, as the sweep reads it, and never twice', async () => {
    const dirs = cacheDirs(join(root, 'names'));
    const paths = await Promise.all(Array.from({ length: 200 }, () => temporaryEntry(dirs, 'clone')));
    expect(new Set(paths).size).toBe(200);
    for (const path of paths) expect(temporaryEntryPid(basename(path))).toBe(process.pid);
  });

  it('clears half-written lockfile copies of processes that are gone', async () => {
    const folder = join(root, 'app');
    await mkdir(folder, { recursive: true });
    const dead = deadPid();
    for (const name of ['mediaconduit.lock.json', `mediaconduit.lock.json.${dead}.0badf00d.tmp`, `mediaconduit.lock.json.${process.pid}.0badf00d.tmp`, 'notes.tmp'])
      await writeFile(join(folder, name), '{}');
    await sweepHalfWritten(join(folder, 'mediaconduit.lock.json'));
    expect((await readdir(folder)).sort()).toEqual(['mediaconduit.lock.json', `mediaconduit.lock.json.${process.pid}.0badf00d.tmp`, 'notes.tmp']);
  });
});
