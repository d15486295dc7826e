import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { checkPng } from '@mediaconduit/testing';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'mc-training-example-'));
afterAll(() => rm(work, { recursive: true, force: true }));

it('trains on the mock without a key, shows progress with elapsed time, and generates with the trigger word', async () => {
  const out = join(work, 'out');
  const { TOGETHER_API_KEY: _key, ...env } = process.env;
  const { stdout } = await run(process.execPath, ['examples/run.mjs', 'examples/training.ts', '--out', out, '--trigger', 'zwx'], {
    cwd: root,
    env: { ...env, MEDIACONDUIT_CACHE_DIR: join(work, 'cache') },
    timeout: 120_000,
  });
  expect(stdout).toMatch(/^TOGETHER_API_KEY is not set: training on the mock provider/);
  expect(stdout).toMatch(/Started mockft-\S+ on mock: base mock\/gradient-1, .*"triggerWord":"zwx"/);
  const lines = stdout.split('\n').filter((line) => /^ {2}\w+ +\d+%/.test(line));
  expect(lines[0]).toMatch(/^ {2}pending +0% {2}step 0\/500 {2}epoch 0\/100 {2}elapsed \d+\.\d s$/);
  expect(lines.some((line) => /^ {2}running +[1-9]\d?% {2}step \d+\/500/.test(line))).toBe(true);
  expect(lines.at(-1)).toMatch(/^ {2}completed +100% {2}step 500\/500 {2}epoch 100\/100 {2}elapsed \d+\.\d s$/);
  expect(stdout).toMatch(/Ready: mock-lora\/mockft-\S+-zwx\n/);
  expect(stdout).toMatch(/Events: job_pending → .* → job_complete/);
  expect(stdout).toMatch(/Recorded in the job store: 1 job\(s\)/);
  const withWord = await readFile(join(out, 'with-trigger.png'));
  const without = await readFile(join(out, 'without-trigger.png'));
  expect(checkPng(withWord)).toBeUndefined();
  expect(checkPng(without)).toBeUndefined();
  expect(withWord.equals(without)).toBe(false);
});
