import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `data` to `path` through a temporary sibling and a rename, so that a
 * reader never sees a half-written file and a crash leaves the old file intact.
 * `durable` also flushes the data to the disk before the rename (for records that must survive
 * a power cut, not only a crash of the process).
 * (The contract has its own copy, for `asset.save()`: it may depend on nothing, and the loader
 * imports nothing from it beyond its public, pinned exports.)
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const { randomBytes } = process.getBuiltinModule('node:crypto'); // loaded on first use: importing the package stays cheap
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    if (options.durable) {
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
