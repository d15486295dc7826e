import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheDirs } from './cache-dirs.js';
import { ensurePackageBoundary } from './package-boundary.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mc-boundary-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const boundary = () => join(root, 'cache', 'git', 'package.json');
const neutral = (text: string) => {
  const json = JSON.parse(text) as Record<string, unknown>;
  return json.private === true && !('sideEffects' in json) && !('type' in json);
};

describe('the package.json above every checkout', () => {
  it('is written when missing, and written again when its text was changed', async () => {
    const dirs = cacheDirs(join(root, 'cache'));
    await ensurePackageBoundary(dirs);
    const written = await readFile(boundary(), 'utf8');
    expect(neutral(written)).toBe(true);
    await writeFile(boundary(), JSON.stringify({ sideEffects: false, type: 'module' }));
    await ensurePackageBoundary(dirs);
    expect(await readFile(boundary(), 'utf8')).toBe(written);
  });

  it('replaces a link put in its place without reading through it: to an endless device, or to another file', async () => {
    const dirs = cacheDirs(join(root, 'cache'));
    await mkdir(dirs.git, { recursive: true });
    await symlink('/dev/zero', boundary());
    await ensurePackageBoundary(dirs);
    expect((await lstat(boundary())).isFile()).toBe(true);
    expect(neutral(await readFile(boundary(), 'utf8'))).toBe(true);

    const elsewhere = join(root, 'elsewhere.json');
    await writeFile(elsewhere, '{"sideEffects":false}');
    await rm(boundary());
    await symlink(elsewhere, boundary());
    await ensurePackageBoundary(dirs);
    expect((await lstat(boundary())).isFile()).toBe(true);
    expect(await readFile(elsewhere, 'utf8')).toBe('{"sideEffects":false}');
  });
});
