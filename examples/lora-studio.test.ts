import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readImageInfo } from '@mediaconduit/core';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'mc-lora-studio-'));
afterAll(() => rm(work, { recursive: true, force: true }));

it('runs the whole image-LoRA flow offline: checks, trains on fal, follows, generates with and without the word, serves through Together then fal', async () => {
  const out = join(work, 'out');
  const { FAL_KEY: _fal, TOGETHER_API_KEY: _together, ...env } = process.env;
  const { stdout } = await run(process.execPath, ['examples/run.mjs', 'examples/lora-studio.ts', '--out', out, '--trigger', 'ZWX', '--steps', '400'], {
    cwd: root,
    env: { ...env, MEDIACONDUIT_CACHE_DIR: join(work, 'cache') },
    timeout: 180_000,
  });
  expect(stdout).toMatch(/^FAL_KEY and TOGETHER_API_KEY are not both set: running offline/);
  expect(stdout).toMatch(/^1\. Checked 6 pictures \(1 with captions\)/m);
  expect(stdout).toMatch(/^2\. Started fal-ai\/flux-lora-fast-training:[0-9a-f-]{36} \(400 steps, trigger word "ZWX"\)$/m);
  const progress = stdout.split('\n').filter((line) => /^ {3}(queued|running|completed) /.test(line));
  expect(progress[0]).toMatch(/^ {3}queued +position 1 /);
  expect(progress.at(-1)).toMatch(/^ {3}completed +100% {2}step 400\/400 /);
  expect(stdout).toMatch(/^3\. Ready: fal-ai\/flux-lora:http:\/\/127\.0\.0\.1:\d+\/files\/\S+\.safetensors$/m);
  expect(stdout).toMatch(/^5\. Served by together through the chain/m);
  const withWord = await readFile(join(out, 'with-trigger.jpg'));
  const without = await readFile(join(out, 'without-trigger.jpg'));
  expect(readImageInfo(withWord)).toMatchObject({ mimeType: 'image/jpeg', width: 512, height: 512 });
  expect(withWord.equals(without)).toBe(false);
  expect(readImageInfo(await readFile(join(out, 'served.jpg')))).toMatchObject({ width: 512, height: 512 });
});
