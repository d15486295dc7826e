import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRepo, echoProviderFiles } from '@mediaconduit/testing';
import { describe, expect, it } from 'vitest';
import { createProviderRegistry, MediaConduitError } from '../src/index.js';

describe('file-system faults of a load', () => {
  it('a cache the load cannot create fails with FILE_SYSTEM_ERROR, not a raw Node error, and update too', async () => {
    const work = await mkdtemp(join(tmpdir(), 'mc-fs-'));
    const repo = await createTestRepo('echo');
    try {
      await repo.commit(echoProviderFiles({ id: 'echo' }));
      await writeFile(join(work, 'a-file'), 'not a folder');
      const registry = createProviderRegistry({ cacheDir: join(work, 'a-file/cache'), lockfile: false, env: {} });
      for (const attempt of [registry.getProvider(repo.url), registry.update(repo.url)]) {
        const error = (await attempt.catch((e: unknown) => e)) as MediaConduitError;
        expect(MediaConduitError.hasCode(error, 'FILE_SYSTEM_ERROR')).toBe(true);
        expect(error.message).toMatch(/\(ENOTDIR\): a part of .*a-file\/cache.* is a file, not a folder; point `cacheDir`/);
      }
      await registry.close();
    } finally {
      await Promise.all([repo.remove(), rm(work, { recursive: true, force: true })]);
    }
  });
});
