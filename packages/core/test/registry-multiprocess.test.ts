import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestRepo, startGitHttpServer, type GitHttpServer, type TestRepo, echoProviderFiles } from '@mediaconduit/testing';

const run = promisify(execFile);
const coreDir = fileURLToPath(new URL('..', import.meta.url));
let root: string;
let work: string;
let http: GitHttpServer;
let repo: TestRepo;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mc-mp-root-'));
  work = await mkdtemp(join(tmpdir(), 'mc-mp-work-'));
  repo = await createTestRepo('shared');
  await repo.commit(echoProviderFiles({ id: 'shared', version: '3.0.0' }));
  await repo.tag('v3.0.0');
  await run('git', ['clone', '--quiet', '--bare', repo.dir, join(root, 'acme/shared.git')]);
  http = await startGitHttpServer(root);
});
afterAll(async () => {
  await http.close();
  await Promise.all([repo.remove(), rm(root, { recursive: true, force: true }), rm(work, { recursive: true, force: true })]);
});

it('4 processes starting cold at once make one clone and one build, and all succeed', async () => {
  const coreUrl = pathToFileURL(join(coreDir, 'dist/index.js')).href;
  const args = [join(coreDir, 'test/support/load-child.mjs'), coreUrl, 'github:acme/shared@v3.0.0', join(work, 'cache'), join(work, 'lock.json'), http.baseUrl];
  const results = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, args, { timeout: 120_000 })));
  const outputs = results.map((r) => JSON.parse(r.stdout.trim()) as { ok: boolean; text?: string; message?: string; events: string[] });
  expect(outputs.map((o) => o.message ?? o.text)).toEqual(['hi v3.0.0', 'hi v3.0.0', 'hi v3.0.0', 'hi v3.0.0']);
  const count = (step: string) => outputs.filter((o) => o.events.includes(step)).length;
  expect(count('fetch:done')).toBe(1);
  expect(count('build:done')).toBe(1);
  // On the server: exactly one pack was sent (one clone). The others listed refs at most once each:
  // how many did depends on how the four interleave (one that starts after the first has pinned
  // and cached the provider asks the server nothing), so only the bound is asserted.
  expect(http.fetchCount('/acme/shared.git')).toBe(1);
  expect(http.listCount('/acme/shared.git')).toBeGreaterThanOrEqual(1);
  expect(http.listCount('/acme/shared.git')).toBeLessThanOrEqual(4);
  // Exactly one checkout and one bundle in the cache, nothing half-written left behind.
  expect(await readdir(join(work, 'cache/bundles'))).toHaveLength(1);
  expect(await readdir(join(work, 'cache/tmp'))).toEqual([]);
  const lock = JSON.parse(await readFile(join(work, 'lock.json'), 'utf8'));
  expect(Object.keys(lock.providers)).toEqual(['https://github.com/acme/shared@v3.0.0']);
});

it('a warm load in a fresh process loads neither the fetch side nor the build side (esbuild, tar, and zod, js-yaml and semver inlined there)', async () => {
  const coreUrl = pathToFileURL(join(coreDir, 'dist/index.js')).href;
  const args = [join(coreDir, 'test/support/load-child.mjs'), coreUrl, 'github:acme/shared@v3.0.0', join(work, 'warm-cache'), join(work, 'warm-lock.json'), http.baseUrl];
  const cold = await run(process.execPath, ['--import', join(coreDir, 'test/support/record-imports.mjs'), ...args]);
  // The lazy chunks of core's dist (esbuild is required from the build-side ones) and the packages they import.
  const heavy = /\/dist\/(cold-side|pipeline\/build-side|git\/resolve-ref|registry\/load-folder)\.js$|\/node_modules\/(\.pnpm\/)?[^/]*(esbuild|tar@|zod|js-yaml|semver)/;
  // The recorder works: the cold path does load them.
  expect(cold.stderr.split('\n').filter((l) => heavy.test(l)).length).toBeGreaterThan(0);
  const warm = await run(process.execPath, ['--import', join(coreDir, 'test/support/record-imports.mjs'), ...args]);
  expect(JSON.parse(warm.stdout).events).toEqual(['build:cached', 'import:start', 'import:done']);
  expect(warm.stderr.split('\n').filter((l) => l.startsWith('RESOLVED') && heavy.test(l))).toEqual([]);
});
