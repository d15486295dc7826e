import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Audio, createProviderRegistry, Image, Text, type ProgressEvent } from '@mediaconduit/core';
import { startFakeTogether, type FakeTogetherServer } from '../src/testing/index.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let work: string;
let fake: FakeTogetherServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-together-git-'));
  fake = await startFakeTogether({ apiKey: 'git-pipeline-key' });
  // A repository with the provider in the same subfolder as in this monorepo.
  const repo = join(work, 'repo');
  await cp(packageDir, join(repo, 'packages/together-provider'), { recursive: true, filter: (source) => !source.includes('node_modules') });
  const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'together provider');
});
afterAll(async () => {
  await fake.close();
  await rm(work, { recursive: true, force: true });
});

it('loads through the Git pipeline and generates text, an image, speech and a transcription against the fake', async () => {
  const events: ProgressEvent[] = [];
  const registry = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: join(work, 'lock.json'), env: {}, onProgress: (e) => events.push(e) });
  const together = await registry.getProvider(`file://${join(work, 'repo')}//packages/together-provider`, { config: { apiKey: 'git-pipeline-key', baseURL: fake.baseURL } });
  expect([together.id, together.type]).toEqual(['together', 'remote']);
  expect(events.filter((e) => e.status === 'done').map((e) => e.phase)).toEqual(['resolve', 'fetch', 'build', 'import']); // no npm install: no dependencies
  expect(together.getModelsForCapability('text-to-image').map((m) => m.id)).toContain('black-forest-labs/FLUX.1-schnell');

  const text = await (await together.getModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', { capability: 'text-to-text' })).transform('through git');
  expect(Text.isInstance(text) && text.text).toBe('You said: through git');
  const image = await (await together.getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' })).transform('a lake', { width: 256, height: 128 });
  expect(Image.isInstance(image) && [image.mimeType, image.width, image.height]).toEqual(['image/jpeg', 256, 128]);
  const speech = await (await together.getModel('cartesia/sonic', { capability: 'text-to-audio' })).transform('spoken through git');
  expect(Audio.isInstance(speech) && speech.mimeType).toBe('audio/wav');
  const heard = await (await together.getModel('openai/whisper-large-v3', { capability: 'audio-to-text' })).transform(speech);
  expect(heard.text).toBe('spoken through git');
  expect(fake.requests.every((r) => r.headers.authorization === 'Bearer ***' || r.path.startsWith('/_images'))).toBe(true);
  await registry.close();
});
