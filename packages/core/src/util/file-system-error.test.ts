import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { createTestRepo, echoProviderFiles } from '@mediaconduit/testing';
import { describe, expect, it } from 'vitest';
import { createProviderRegistry } from '../registry/provider-registry.js';
import { fileSystemError } from './file-system-error.js';

const nodeError = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });

describe('file-system faults become typed errors', () => {
  it.each([
    ['EACCES', /permission denied on \/srv\/cache\/refs\/x\.json; make it writable for this user, or point `cacheDir`/],
    ['EROFS', /\/srv\/cache\/refs\/x\.json is on a read-only file system/],
    ['ENOSPC', /no space left on the device holding \/srv\/cache\/refs\/x\.json; free some space, or move the cache/],
  ])('%s names the path and the fix', (code, message) => {
    const error = fileSystemError('load github:acme/x', nodeError(code, 'open', '/srv/cache/refs/x.json')) as MediaConduitError;
    expect(MediaConduitError.hasCode(error, 'FILE_SYSTEM_ERROR')).toBe(true);
    expect(error.message).toMatch(/^load github:acme\/x: open failed/);
    expect(error.message).toMatch(message);
    expect(error.details).toEqual({ errno: code, path: '/srv/cache/refs/x.json', syscall: 'open' });
  });

  it('leaves other errors alone', () => {
    const other = new Error('something else');
    expect(fileSystemError('load x', other)).toBe(other);
  });

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
