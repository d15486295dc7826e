import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import type { CallRecord } from '@mediaconduit/core';
import { checkJpeg, checkPng } from '@mediaconduit/testing';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'mc-fallback-example-'));
afterAll(() => rm(work, { recursive: true, force: true }));

it('runs the production chain against the fake server: retry-after honoured, refusal kept, fallback, cooldown', async () => {
  const out = join(work, 'out');
  const { stdout } = await run(process.execPath, ['examples/run.mjs', 'examples/fallback.ts', '--out', out], {
    cwd: root,
    env: { ...process.env, MEDIACONDUIT_CACHE_DIR: join(work, 'cache') },
    timeout: 120_000,
  });
  const scenes = stdout.split(/\n(?=\d\. )/).slice(1);
  expect(scenes).toHaveLength(5);
  expect(scenes[0]).toMatch(/served by together black-forest-labs\/FLUX\.1-schnell .*\$0\.0027/);
  expect(scenes[1]).toMatch(/attempt 1 failed \(RATE_LIMITED 429\); next in 1000 ms\n {4}served by together/);
  expect(scenes[2]).toMatch(/failed in \d+ ms: CONTENT_REFUSED/);
  expect(scenes[2]).not.toContain('served by');
  expect(scenes[3]!.match(/attempt \d failed \(PROVIDER_ERROR 503\)/g)).toHaveLength(2);
  expect(scenes[3]).toMatch(/fallback: together black-forest-labs\/FLUX\.1-schnell failed \(PROVIDER_ERROR\); trying mock\/gradient-1\n {4}served by mock mock\/gradient-1/);
  expect(scenes[4]).toMatch(/is cooling down; trying mock\/gradient-1\n {4}served by mock/);
  expect(checkJpeg(await readFile(join(out, 'scene-1.jpg')))).toBeUndefined();
  expect(checkPng(await readFile(join(out, 'scene-4.png')))).toBeUndefined();

  const records = (await readFile(join(out, 'calls.jsonl'), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as CallRecord);
  expect(records.filter((r) => r.kind === 'attempt').map((r) => r.errorCode)).toEqual(['RATE_LIMITED', 'PROVIDER_ERROR', 'PROVIDER_ERROR']);
  expect(records.filter((r) => r.kind === 'fallback').map((r) => r.steps!.map((s) => s.outcome))).toEqual([['CONTENT_REFUSED'], ['PROVIDER_ERROR', 'ok'], ['COOLING_DOWN', 'ok']]);
  expect(records.every((r) => r.chain === 'hero-image (production)')).toBe(true);
});
