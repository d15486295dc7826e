import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, Text, type ProgressEvent } from '../src/index.js';
import { createTestRepo, type TestRepo, echoProviderFiles } from '@mediaconduit/testing';

let repo: TestRepo;
let work: string;
beforeAll(async () => {
  repo = await createTestRepo('echo');
  await repo.commit(echoProviderFiles(), 'v1');
  await repo.tag('v1.0.0');
  work = await mkdtemp(join(tmpdir(), 'mc-registry-'));
});
afterAll(async () => {
  await repo.remove();
  await rm(work, { recursive: true, force: true });
});

describe('getProvider over file:', () => {
  it('loads, builds and runs a provider from a local Git repository', async () => {
    const events: ProgressEvent[] = [];
    const registry = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: join(work, 'lock.json'), onProgress: (e) => events.push(e), env: { ECHO_PREFIX: '> ' } });
    const provider = await registry.getProvider(`${repo.url}@v1.0.0`);
    expect(provider.id).toBe('echo');
    const model = await provider.getModel('echo-1');
    const text = await model.transform('hello' as never);
    expect(Text.isInstance(text)).toBe(true);
    // One copy of core runs: the bundle's Text is the host's class, not a bundled copy.
    expect(text).toBeInstanceOf(Text);
    expect((text as Text).text).toBe('> hello v1.0.0');
    expect(events.filter((e) => e.status === 'done').map((e) => e.phase)).toEqual(['resolve', 'fetch', 'build', 'import']);
    await registry.close();
  });
});
