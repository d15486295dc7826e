import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ErrorCode } from '@mediaconduit/provider';
import { mcError } from './errors.js';

/** How to read one file the loader did not write itself, and how to report one that may not be read. */
export interface CappedRead {
  /** Largest size read, in bytes. */
  maxBytes: number;
  /** The code of the error for a link, a special file or a file over the cap. */
  code: ErrorCode;
  /** The start of its message: the operation and the file, e.g. `install github:acme/x: package.json`. */
  what: string;
  /** What to do about it, appended to the message (`; run …`). */
  fix?: string;
}

// O_NOFOLLOW: a link is refused by the open itself, so nothing can swap the file for one after a check.
// O_NONBLOCK: opening a FIFO must not wait for a writer; the type check refuses it.
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads a file of a checkout or of the cache (a manifest, `package.json`, `package-lock.json`, a
 * record, a bundle): opened without following a link, checked on the open handle to be a regular
 * file no larger than `maxBytes`, and read no further than that. `undefined` when it does not
 * exist. A link, a folder, a device, a FIFO or a larger file fails with `read.code`; its content
 * is never read, let alone quoted in a message.
 */
export async function readCapped(path: string, read: CappedRead): Promise<Buffer | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    return refusedOpen(error, read);
  }
  try {
    const buffer = Buffer.alloc(checkedSize(await handle.stat(), read));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** {@link readCapped}, synchronously: for small files on the warm path, where a thread-pool round trip per step costs more than the read. */
export function readCappedSync(path: string, read: CappedRead): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (error) {
    return refusedOpen(error, read);
  }
  try {
    const buffer = Buffer.alloc(checkedSize(fstatSync(fd), read));
    let filled = 0;
    while (filled < buffer.length) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

function refusedOpen(error: unknown, read: CappedRead): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return undefined;
  if (code === 'ELOOP') throw mcError(read.code, `${read.what} is a link; only regular files are read${fix(read)}`, { details: { refused: 'link' } });
  throw error;
}

function checkedSize(stat: Stats, read: CappedRead): number {
  if (!stat.isFile()) {
    throw mcError(read.code, `${read.what} is ${stat.isDirectory() ? 'a folder' : 'a device or special file'}, not a regular file${fix(read)}`, {
      details: { refused: 'special' },
    });
  }
  if (stat.size > read.maxBytes)
    throw mcError(read.code, `${read.what} is ${stat.size} bytes; the limit is ${read.maxBytes}${fix(read)}`, { details: { limit: read.maxBytes, size: stat.size } });
  return stat.size;
}

const fix = (read: CappedRead) => (read.fix ? `; ${read.fix}` : '');
