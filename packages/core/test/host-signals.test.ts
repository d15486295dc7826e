// Loading a provider must not change how the host process answers signals.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestRepo, echoProviderFiles, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const coreDir = fileURLToPath(new URL('..', import.meta.url));
let repo: TestRepo;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-signals-'));
  repo = await createTestRepo('echo');
  await repo.commit(echoProviderFiles({ id: 'echo' }));
});
afterAll(async () => {
  await Promise.all([repo.remove(), rm(work, { recursive: true, force: true })]);
});

it('a host busy after a cold load still ends on SIGTERM, and the load added no signal listeners', async () => {
  const child = spawn(process.execPath, [join(coreDir, 'test/support/busy-after-load.mjs'), pathToFileURL(join(coreDir, 'dist/index.js')).href, repo.url, join(work, 'cache')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('loaded') && resolve());
    child.once('exit', () => reject(new Error(`the child exited before loading: ${out}`)));
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  // Backstop only, so that a failing run ends: a hung child is killed after the busy loop's own bound.
  const backstop = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const result = await exited;
  clearTimeout(backstop);
  expect(out).toMatch(/^loaded 0 0\n/);
  expect(out).not.toContain('loop ended');
  expect(result).toEqual({ code: null, signal: 'SIGTERM' });
}, 40_000);
