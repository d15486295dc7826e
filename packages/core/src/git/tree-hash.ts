import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Computes git's tree id (SHA-1 object format) of a folder from the files on disk, without git:
 * the same value as `git rev-parse <commit>:<folder>` for an unmodified checkout without submodules
 * (they are never fetched, so their gitlink entries cannot be counted). `.git` is skipped.
 * Used to verify that a cached checkout still matches the lockfile.
 */
export async function gitTreeHash(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  const items: { name: string; mode: string; id: Buffer; sortKey: string }[] = [];
  for (const entry of entries) {
    if (entry.name === '.git') continue;
    const path = join(dir, entry.name);
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) {
      items.push({ name: entry.name, mode: '120000', id: object('blob', Buffer.from(await readlink(path))), sortKey: entry.name });
    } else if (stat.isDirectory()) {
      const id = await gitTreeHash(path);
      if (id === EMPTY_TREE) continue; // git does not record empty folders
      items.push({ name: entry.name, mode: '40000', id: Buffer.from(id, 'hex'), sortKey: `${entry.name}/` });
    } else if (stat.isFile()) {
      const mode = stat.mode & 0o111 ? '100755' : '100644';
      items.push({ name: entry.name, mode, id: object('blob', await readFile(path)), sortKey: entry.name });
    }
  }
  items.sort((a, b) => Buffer.compare(Buffer.from(a.sortKey), Buffer.from(b.sortKey)));
  const body = Buffer.concat(items.flatMap((item) => [Buffer.from(`${item.mode} ${item.name}\0`), item.id]));
  return object('tree', body).toString('hex');
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function object(type: 'blob' | 'tree', body: Buffer): Buffer {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest();
}
