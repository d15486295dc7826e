import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { mcError } from '../util/errors.js';
import { preferNodeCrypto } from '../util/hash.js';
import { isInside } from '../util/is-inside.js';

/** What a tree walk enforces besides hashing. */
export interface TreeWalkOptions {
  /**
   * Every link must lead to an existing path inside this folder (default: the folder hashed).
   * For a provider in a subfolder, the checkout root: it may link to files elsewhere in its repository.
   */
  root?: string;
  /** Fail with `LIMIT_EXCEEDED` as soon as the files outnumber `maxFiles` or outweigh `maxBytes`, before reading more. */
  limits?: { maxFiles: number; maxBytes: number };
  /** For messages: what is walked (a specifier, a cache entry). */
  label?: string;
}

/** Most problems an `UNSAFE_CHECKOUT` message lists (every one is in `details.problems`). */
const LISTED = 20;

/**
 * Computes git's tree id (SHA-1 object format) of a folder from the files on disk, without git:
 * the same value as `git rev-parse <commit>:<folder>` for an unmodified checkout without submodules
 * (they are never fetched, so their gitlink entries cannot be counted). `.git` is skipped.
 *
 * The same walk is the loader's check of what a checkout holds, so that nothing reads a file it
 * did not vouch for: every entry is `lstat`ed before anything reads it; links that lead outside
 * `root` (or nowhere) and special files (devices, FIFOs, sockets) fail the walk with one
 * `UNSAFE_CHECKOUT` naming each; a file is read only while the size limits hold.
 */
export async function gitTreeHash(dir: string, options: TreeWalkOptions = {}): Promise<string> {
  const root = resolve(options.root ?? dir);
  const realRoot = await realpath(root);
  const walk: Walk = { root, realRoot, problems: [], files: 0, bytes: 0, options };
  const tree = await hashFolder(resolve(dir), walk);
  if (walk.problems.length > 0) {
    const what = options.label ?? dir;
    const lines = walk.problems.slice(0, LISTED).map((p) => `  - ${p}`);
    if (walk.problems.length > LISTED) lines.push(`  - … and ${walk.problems.length - LISTED} more`);
    throw mcError(
      'UNSAFE_CHECKOUT',
      `${what}: the repository holds ${walk.problems.length === 1 ? 'an entry' : `${walk.problems.length} entries`} the loader refuses to read:\n${lines.join('\n')}\nlinks must lead to files inside the repository, and devices, FIFOs and sockets are not allowed; remove them from the repository`,
      { details: { problems: walk.problems } },
    );
  }
  return tree;
}

interface Walk {
  root: string;
  realRoot: string;
  problems: string[];
  files: number;
  bytes: number;
  options: TreeWalkOptions;
}

async function hashFolder(dir: string, walk: Walk): Promise<string> {
  const entries = await readdir(dir);
  const items: { name: string; mode: string; id: Buffer; sortKey: string }[] = [];
  for (const name of entries) {
    if (name === '.git') continue; // never part of a git tree, at any depth
    const path = join(dir, name);
    const stat = await lstat(path);
    if (stat.isDirectory()) {
      const id = await hashFolder(path, walk);
      if (id === EMPTY_TREE) continue; // git does not record empty folders
      items.push({ name, mode: '40000', id: Buffer.from(id, 'hex'), sortKey: `${name}/` });
      continue;
    }
    count(walk, stat.isFile() ? stat.size : 0);
    if (stat.isSymbolicLink()) {
      const target = await readlink(path);
      const problem = await linkProblem(path, target, walk);
      if (problem) walk.problems.push(`${relative(walk.root, path)}: a link to ${JSON.stringify(target)}, ${problem}`);
      items.push({ name, mode: '120000', id: object('blob', Buffer.from(target)), sortKey: name });
    } else if (stat.isFile()) {
      const mode = stat.mode & 0o111 ? '100755' : '100644';
      items.push({ name, mode, id: object('blob', await readFile(path)), sortKey: name });
    } else {
      walk.problems.push(`${relative(walk.root, path)}: a ${stat.isFIFO() ? 'FIFO' : stat.isSocket() ? 'socket' : 'device'}, not a file`);
    }
  }
  items.sort((a, b) => Buffer.compare(Buffer.from(a.sortKey), Buffer.from(b.sortKey)));
  const body = Buffer.concat(items.flatMap((item) => [Buffer.from(`${item.mode} ${item.name}\0`), item.id]));
  return object('tree', body).toString('hex');
}

/** Counts one more file of `size` bytes; `LIMIT_EXCEEDED` before it is read when that breaks a limit. */
function count(walk: Walk, size: number): void {
  const limits = walk.options.limits;
  walk.files++;
  walk.bytes += size;
  if (!limits) return;
  const what = walk.options.label ?? walk.root;
  if (walk.files > limits.maxFiles) {
    throw mcError('LIMIT_EXCEEDED', `fetch ${what}: the checkout has more than ${limits.maxFiles} files (maxCheckoutFiles); raise the option if you trust this repository`, {
      details: { limit: 'maxCheckoutFiles', value: limits.maxFiles },
    });
  }
  if (walk.bytes > limits.maxBytes) {
    throw mcError('LIMIT_EXCEEDED', `fetch ${what}: the checkout holds more than ${limits.maxBytes} bytes (maxCheckoutBytes); raise the option if you trust this repository`, {
      details: { limit: 'maxCheckoutBytes', value: limits.maxBytes },
    });
  }
}

/**
 * Why a link may not stay: its target is absolute, or leads (as written, or as the system resolves
 * it through other links) outside the root, or to nothing. Both checks are needed: a link to
 * `d/d/../../x`, where `d` links to `.`, stays inside as written but leaves the root when followed.
 */
async function linkProblem(path: string, target: string, walk: Walk): Promise<string | undefined> {
  if (isAbsolute(target)) return 'an absolute path';
  if (!isInside(walk.root, resolve(path, '..', target))) return 'which leads outside the repository';
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return 'which leads to nothing inside the repository';
  if (!isInside(walk.realRoot, real)) return 'which leads outside the repository';
  return undefined;
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * node:crypto, loaded by the first hash rather than with this module: a cold load imports this
 * module before its git process starts, and loads node:crypto (about 6 ms) while git runs.
 */
let nodeCrypto: typeof import('node:crypto') | undefined;

function object(type: 'blob' | 'tree', body: Buffer): Buffer {
  if (!nodeCrypto) {
    nodeCrypto = process.getBuiltinModule('node:crypto');
    preferNodeCrypto(); // loaded now: this module's other hashes use it too
  }
  return nodeCrypto.createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest();
}
