// Nothing tampered ever runs: every load checks what it is about to run, with or without a
// lockfile entry, whichever specifier of the same commit it comes through.
import { writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRepo, echoProviderFiles, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, type MediaConduitError, verifyCache } from '../src/index.js';

let repo: TestRepo;
let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-tamper-'));
  repo = await createTestRepo('echo');
  await repo.commit(echoProviderFiles({ id: 'echo' }));
  await repo.tag('v1.0.0');
});
afterAll(() => Promise.all([repo.remove(), rm(work, { recursive: true, force: true })]));

const setup = () => {
  const dir = join(work, `case-${++n}`);
  return { cacheDir: join(dir, 'cache'), lockfile: join(dir, 'lock.json'), marker: join(dir, 'pwned') };
};
const loadOnce = async (options: { cacheDir: string; lockfile: string | false; offline?: boolean }, specifier: string) => {
  const registry = createProviderRegistry({ ...options, env: {} });
  try {
    return await registry.getProvider(specifier).then(
      () => undefined,
      (error: unknown) => error as MediaConduitError,
    );
  } finally {
    await registry.close();
  }
};
const ran = (marker: string) =>
  stat(marker).then(
    () => true,
    () => false,
  );

describe('a bundle edited in the cache', () => {
  it.each([
    ['another specifier of the same commit, no lockfile', { lockfile: false as const }, '@main'],
    ['no lockfile, offline', { lockfile: false as const, offline: true }, '@v1.0.0'],
  ])('never runs: through %s it fails with INTEGRITY_MISMATCH naming both hashes', async (_, options, ref) => {
    const { cacheDir, lockfile, marker } = setup();
    expect(await loadOnce({ cacheDir, lockfile }, `${repo.url}@v1.0.0`)).toBeUndefined();
    const [key] = await readdir(join(cacheDir, 'bundles'));
    const bundleDir = join(cacheDir, 'bundles', key!);
    const record = JSON.parse(await readFile(join(bundleDir, 'record.json'), 'utf8')) as { bundleFile: string; sha256: string };
    await writeFile(
      join(bundleDir, record.bundleFile),
      `${await readFile(join(bundleDir, record.bundleFile), 'utf8')}\nawait import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, 'ran'));\n`,
    );
    const error = await loadOnce({ cacheDir, ...options }, `${repo.url}${ref}`);
    expect(error?.code).toBe('INTEGRITY_MISMATCH');
    expect(error?.message).toContain(record.sha256);
    expect(error?.message).toMatch(/hashes to [0-9a-f]{64}/);
    expect(error?.message).toMatch(/mediaconduit cache verify --fix/);
    expect(await ran(marker)).toBe(false);
  });
});

describe('a checkout edited in the cache, its bundle removed', () => {
  it('is never rebuilt and run, with or without a lockfile: INTEGRITY_MISMATCH names both tree hashes', async () => {
    const { cacheDir, marker } = setup();
    expect(await loadOnce({ cacheDir, lockfile: false }, `${repo.url}@v1.0.0`)).toBeUndefined();
    await rm(join(cacheDir, 'bundles'), { recursive: true });
    const [urlDir] = await readdir(join(cacheDir, 'git'));
    const [commit] = await readdir(join(cacheDir, 'git', urlDir!));
    const version = join(cacheDir, 'git', urlDir!, commit!, 'tree/src/version.ts');
    await writeFile(version, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport const VERSION = 'evil';\n`);
    const error = await loadOnce({ cacheDir, lockfile: false }, `${repo.url}@v1.0.0`);
    expect(error?.code).toBe('INTEGRITY_MISMATCH');
    expect(error?.message).toMatch(/the cached checkout of [0-9a-f]{12} was modified: it was fetched as tree [0-9a-f]{40} but its files now hash to [0-9a-f]{40}/);
    expect(await ran(marker)).toBe(false);
    // As the message says: cache verify finds it, --fix deletes it, and the next load fetches it again.
    const found = await verifyCache(cacheDir);
    expect(found.problems).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^checkout of [0-9a-f]{12}: expected tree [0-9a-f]{40}, files hash to [0-9a-f]{40}$/) }),
    ]);
    await verifyCache(cacheDir, { fix: true });
    expect(await loadOnce({ cacheDir, lockfile: false }, `${repo.url}@v1.0.0`)).toBeUndefined();
    expect(await ran(marker)).toBe(false);
  });
});

describe('a bundle swapped between its check and its import', () => {
  it('never runs: the import runs the very bytes that were hashed, not the file again', async () => {
    const { cacheDir, lockfile, marker } = setup();
    // Pinned and built, but not imported: this process has no module of it cached yet.
    const preparing = createProviderRegistry({ cacheDir, lockfile, env: {} });
    await preparing.prepare(`${repo.url}@v1.0.0`);
    await preparing.close();
    const [key] = await readdir(join(cacheDir, 'bundles'));
    const bundleDir = join(cacheDir, 'bundles', key!);
    const record = JSON.parse(await readFile(join(bundleDir, 'record.json'), 'utf8')) as { bundleFile: string };
    const bundle = join(bundleDir, record.bundleFile);
    const evil = `${await readFile(bundle, 'utf8')}\nawait import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, 'ran'));\n`;
    // The moment another process could swap the file: right after the check, before the import.
    const registry = createProviderRegistry({
      cacheDir,
      lockfile,
      env: {},
      onProgress: (event) => {
        if (event.phase === 'build' && event.status === 'cached') writeFileSync(bundle, evil);
      },
    });
    const provider = await registry.getProvider(`${repo.url}@v1.0.0`);
    const model = await provider.getModel('echo-1', { capability: 'text-to-text' });
    expect((await model.transform('hi')).text).toBe('hi v1.0.0');
    await registry.close();
    expect(await ran(marker)).toBe(false);
    // The swapped file is caught by the next load's check.
    const error = await loadOnce({ cacheDir, lockfile }, `${repo.url}@v1.0.0`);
    expect(error?.code).toBe('INTEGRITY_MISMATCH');
  });
});
