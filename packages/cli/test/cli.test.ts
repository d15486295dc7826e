import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { createTestRepo, type TestRepo, echoProviderFiles } from '@mediaconduit/testing';

let repo: TestRepo;
let work: string;
beforeAll(async () => {
  repo = await createTestRepo('cli');
  await repo.commit(echoProviderFiles({ version: '1.0.0' }));
  await repo.tag('v1.0.0');
  work = await mkdtemp(join(tmpdir(), 'mc-cli-'));
});
afterAll(async () => {
  await repo.remove();
  await rm(work, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(
    [...args, '--cache-dir', join(work, 'cache'), '--lockfile', join(work, 'lock.json')],
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('mediaconduit CLI', () => {
  it('load lists models per capability', async () => {
    const { code, out } = await cli('load', `${repo.url}@v1.0.0`);
    expect(code).toBe(0);
    expect(out).toBe('Echo Provider (echo, local)\n  text-to-text: echo-1');
  });

  it('update moves an unpinned entry and reports the change', async () => {
    const first = await cli('update', repo.url);
    expect(first.out).toMatch(/: new → [0-9a-f]{12} \(main\)/);
    await repo.commit(echoProviderFiles({ version: '1.0.1' }));
    const second = await cli('update', repo.url);
    expect(second.out).toMatch(/: [0-9a-f]{12} → [0-9a-f]{12} \(main\)/);
    expect((await cli('update', repo.url)).out).toMatch(/unchanged at/);
  });

  it('cache verify finds a tampered bundle, and --fix deletes it', async () => {
    expect((await cli('cache', 'verify')).out).toMatch(/all intact/);
    const bundles = join(work, 'cache/bundles');
    const [key] = await readdir(bundles);
    const file = (await readdir(join(bundles, key!))).find((f) => f.endsWith('.mjs'))!;
    await writeFile(join(bundles, key!, file), `${await readFile(join(bundles, key!, file), 'utf8')}//x`);
    const broken = await cli('cache', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/BROKEN .*expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}/);
    expect((await cli('cache', 'verify', '--fix')).code).toBe(0);
    expect((await cli('cache', 'verify')).out).toMatch(/all intact/);
  });

  it('cache prune keeps only what the lockfile pins', async () => {
    const { out } = await cli('cache', 'prune');
    expect(out).toMatch(/removed \d+ entr/);
    const lock = JSON.parse(await readFile(join(work, 'lock.json'), 'utf8'));
    const pinned = Object.values(lock.providers as Record<string, { commit: string }>)
      .map((e) => e.commit)
      .sort();
    const urlDirs = await readdir(join(work, 'cache/git'));
    const commits = (await Promise.all(urlDirs.map((d) => readdir(join(work, 'cache/git', d))))).flat().sort();
    expect(commits).toEqual([...new Set(pinned)].sort());
  });

  it('prints typed errors and usage problems with distinct exit codes', async () => {
    const bad = await cli('load', 'ext::sh');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error INVALID_SPECIFIER: /);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('load', '--nope')).code).toBe(2);
  });
});
