import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { checkJpeg, checkPng, checkWav } from '@mediaconduit/testing';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'mc-quickstart-'));
afterAll(() => rm(work, { recursive: true, force: true }));

async function demo() {
  const env: NodeJS.ProcessEnv = { ...process.env, MEDIACONDUIT_CACHE_DIR: join(work, 'cache') };
  delete env.TOGETHER_API_KEY;
  const { stdout } = await run(process.execPath, ['examples/run.mjs', 'examples/quickstart.ts', '--out', join(work, 'out')], { cwd: root, env, timeout: 120_000 });
  return stdout;
}

it('runs cold, then warm, and writes real text, PNG, WAV and embedding files', async () => {
  const cold = await demo();
  expect(cold).toMatch(/First load: +[\d.]+ ms \(cold: (resolve, )?fetch, build\)/);
  expect(cold).toMatch(/Warm load: +[\d.]+ ms \(fresh registry: lockfile and cache hit, no network, no git, no build\)/);
  expect(cold).toMatch(/text-to-image +mock\/gradient-1, mock\/stripes-1/);
  expect(cold).toContain('TOGETHER_API_KEY is not set');
  const warm = await demo();
  expect(warm).toMatch(/First load: +[\d.]+ ms \(warm: everything was cached\)/);

  const out = (name: string) => readFile(join(work, 'out', name));
  const haiku = (await out('haiku.txt')).toString();
  expect(haiku.split('\n')).toHaveLength(3);
  expect(checkPng(await out('mountain.png'))).toBeUndefined();
  expect(checkWav(await out('haiku.wav'))).toBeUndefined();
  expect((await out('transcript.txt')).toString()).toBe(haiku);
  const vector = JSON.parse((await out('embedding.json')).toString()) as number[];
  expect(vector).toHaveLength(64);
  expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
});

it('runs the same tour against Together when TOGETHER_API_KEY is set (here: the fake Together server)', async () => {
  const { startFakeTogether } = await import('../packages/together-provider/src/testing/index.js');
  const fake = await startFakeTogether({ apiKey: 'demo-key' });
  try {
    // The host sends the key to the fake only because its origin is allowed, as an operator would for a proxy.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MEDIACONDUIT_CACHE_DIR: join(work, 'cache'),
      TOGETHER_API_KEY: 'demo-key',
      TOGETHER_BASE_URL: fake.baseURL,
      MEDIACONDUIT_SECRET_ORIGINS: `TOGETHER_API_KEY=${new URL(fake.baseURL).origin}`,
    };
    const { stdout } = await run(process.execPath, ['examples/run.mjs', 'examples/quickstart.ts', '--out', join(work, 'together')], { cwd: root, env, timeout: 120_000 });
    expect(stdout).toContain('TOGETHER_API_KEY is set: running the same tour against Together AI');
    expect(stdout).toMatch(/text-to-image +black-forest-labs\/FLUX\.1-schnell/);
    expect(stdout).not.toContain('Together part failed');
    const out = (name: string) => readFile(join(work, 'together', name));
    expect(checkJpeg(await out('together-mountain.jpg'))).toBeUndefined();
    expect(checkWav(await out('together-haiku.wav'))).toBeUndefined();
    expect((await out('together-transcript.txt')).toString()).toBe((await out('together-haiku.txt')).toString().trim());
    expect(fake.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/models', '/chat/completions', '/images/generations', '/voices', '/audio/speech', '/audio/transcriptions', '/embeddings']),
    );
  } finally {
    await fake.close();
  }
});
