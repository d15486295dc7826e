// What a local provider's repository holds next to what a load used: the commit its ref names now,
// and the changes in the provider's folder that are not committed (the CLI's warnings to authors).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localRepositoryState } from '@mediaconduit/core';
import { createTestRepo, type TestRepo } from '@mediaconduit/testing';

const repos: TestRepo[] = [];
async function repo(): Promise<TestRepo> {
  const made = await createTestRepo('local-state');
  repos.push(made);
  return made;
}
afterEach(async () => {
  for (const made of repos.splice(0)) await made.remove();
});

describe('localRepositoryState', () => {
  it('names the commit of the checked-out branch, and nothing uncommitted in a clean tree', async () => {
    const r = await repo();
    const head = await r.commit({ 'a.txt': 'a\n' });
    expect(await localRepositoryState(r.url)).toEqual({ repository: r.dir, commit: head, uncommitted: [], uncommittedCount: 0 });
  });

  it('lists changed, new, renamed and deleted paths of the provider folder only, leaving out the ignored ones, up to the limit', async () => {
    const r = await repo();
    await r.commit({ 'p/a.txt': 'a\n', 'p/b.txt': 'b\n', 'p/c.txt': 'c\n', 'elsewhere.txt': 'e\n' });
    await writeFile(join(r.dir, 'p/a.txt'), 'changed\n');
    await r.git('mv', 'p/b.txt', 'p/renamed.txt');
    await r.git('rm', '--quiet', 'p/c.txt');
    await writeFile(join(r.dir, 'elsewhere.txt'), 'outside the provider folder\n');
    await mkdir(join(r.dir, 'p/cache/git'), { recursive: true });
    await writeFile(join(r.dir, 'p/cache/git/x'), 'the cache a command wrote\n');
    await writeFile(join(r.dir, 'p/new.ts'), 'export {};\n');
    const state = await localRepositoryState(`${r.url}//p`, { ignore: [join(r.dir, 'p/cache'), join(r.dir, 'not-there.json')] });
    expect(state?.uncommitted.sort()).toEqual(['p/a.txt', 'p/c.txt', 'p/new.ts', 'p/renamed.txt']);
    expect(state?.uncommittedCount).toBe(4);
    const limited = await localRepositoryState(`${r.url}//p`, { limit: 1 });
    expect(limited).toMatchObject({ uncommitted: [expect.any(String)], uncommittedCount: 5 });
  });

  it('follows a named branch, and counts no changes when the working tree is on another one', async () => {
    const r = await repo();
    const main = await r.commit({ 'a.txt': 'a\n' });
    await r.branch('feature', { checkout: true });
    const feature = await r.commit({ 'a.txt': 'on the feature branch\n' });
    await writeFile(join(r.dir, 'a.txt'), 'uncommitted on feature\n');
    expect(await localRepositoryState(`${r.url}@main`)).toEqual({ repository: r.dir, commit: main, uncommitted: [], uncommittedCount: 0 });
    expect(await localRepositoryState(`${r.url}@feature`)).toMatchObject({ commit: feature, uncommitted: ['a.txt'] });
    expect(await localRepositoryState(r.url)).toMatchObject({ commit: feature, uncommittedCount: 1 });
  });

  it('says nothing for a full commit, a range, a ref git does not know, or a repository on the network', async () => {
    const r = await repo();
    const head = await r.commit({ 'a.txt': 'a\n' });
    await r.tag('v1.0.0');
    expect(await localRepositoryState(`${r.url}@${head}`)).toBeUndefined();
    expect(await localRepositoryState(`${r.url}@^1.0`)).toBeUndefined();
    expect(await localRepositoryState(`${r.url}@no-such-branch`)).toBeUndefined();
    expect(await localRepositoryState('https://example.invalid/acme/provider.git')).toBeUndefined();
    expect(await localRepositoryState(`${r.url}@v1.0.0`)).toMatchObject({ commit: head });
  });
});
