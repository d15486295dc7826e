import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { createProviderRegistry, Image, Text } from '@mediaconduit/core';

const run = promisify(execFile);
const providerDir = fileURLToPath(new URL('..', import.meta.url));

it('works unchanged as a standalone repository loaded by its file: URL', async () => {
  const work = await mkdtemp(join(tmpdir(), 'mc-template-'));
  const repo = join(work, 'my-provider');
  try {
    await cp(providerDir, repo, { recursive: true, filter: (source) => !source.includes('node_modules') });
    const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo });
    await git('init', '--quiet', '--initial-branch=main');
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'fork of the template');
    const registry = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: join(work, 'lock.json'), env: {} });
    const provider = await registry.getProvider(`file://${repo}`);
    expect(provider.id).toBe('mock');
    const text = await (await provider.getModel('mock/haiku-1', { capability: 'text-to-text' })).transform('pond');
    expect(Text.isInstance(text) && text.text.split('\n')).toHaveLength(3);
    const image = await (await provider.getModel('mock/gradient-1', { capability: 'text-to-image' })).transform('pond', { width: 40, height: 30 });
    expect(Image.isInstance(image) && [image.width, image.height]).toEqual([40, 30]);
    await registry.close();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
