// Every step of a load has a limit that really fires, with a typed TIMEOUT (or LIMIT_EXCEEDED),
// and the registry stays usable for other providers afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestRepo, echoProviderFiles, type FileSpec, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, type MediaConduitError, type ProviderRegistryOptions } from '../src/index.js';
import { runToExit } from './support/processes.js';

let work: string;
let good: TestRepo;
const repos: TestRepo[] = [];
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-limits-'));
  good = await createTestRepo('good');
  await good.commit(echoProviderFiles({ id: 'good' }));
});
afterAll(() => Promise.all([good.remove(), ...repos.map((repo) => repo.remove()), rm(work, { recursive: true, force: true })]));

async function repoWith(edit: (files: Record<string, FileSpec>) => void): Promise<TestRepo> {
  const repo = await createTestRepo('limited');
  repos.push(repo);
  const files = echoProviderFiles({ id: 'limited' }) as Record<string, FileSpec>;
  edit(files);
  await repo.commit(files);
  return repo;
}

async function failureOf(repo: TestRepo, options: ProviderRegistryOptions) {
  const cacheDir = join(work, `cache-${repos.length}`);
  // The good provider is built beforehand, so that even a tiny build limit leaves it loadable.
  const warmup = createProviderRegistry({ cacheDir, lockfile: false, env: {} });
  await warmup.getProvider(good.url);
  await warmup.close();
  const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {}, ...options });
  const error = (await registry.getProvider(repo.url).then(
    () => undefined,
    (e: unknown) => e,
  )) as MediaConduitError | undefined;
  // The registry still serves other providers.
  expect((await registry.getProvider(good.url)).id).toBe('good');
  await registry.close();
  return { error };
}

describe('time limits of a load', () => {
  it('an initialize() that never settles fails with TIMEOUT, and its signal is aborted', async () => {
    const repo = await repoWith((files) => {
      files['src/index.ts'] = (files['src/index.ts'] as string).replace(
        'isAvailable() { return true; },',
        'isAvailable() { return true; },\n    initialize(options) { options?.signal?.addEventListener("abort", () => { (globalThis as Record<string, unknown>).mcInitAborted = true; }); return new Promise(() => {}); },',
      );
    });
    const { error } = await failureOf(repo, { initializeTimeoutMs: 300 });
    expect(error?.code).toBe('TIMEOUT');
    expect((globalThis as Record<string, unknown>).mcInitAborted).toBe(true);
    expect(error?.message).toMatch(/the provider did not finish loading \(import, factory, initialize\(\)\) within 300 ms; raise the `initializeTimeoutMs` option/);
  });

  it('a module that never finishes evaluating fails with TIMEOUT', async () => {
    const repo = await repoWith((files) => {
      files['src/version.ts'] = "await new Promise(() => {});\nexport const VERSION = 'never';\n";
    });
    const { error } = await failureOf(repo, { initializeTimeoutMs: 300 });
    expect(error?.code).toBe('TIMEOUT');
  });

  it('a build that does not finish in time fails with TIMEOUT', async () => {
    const repo = await repoWith((files) => {
      files['src/big.ts'] = Array.from({ length: 20_000 }, (_, i) => `export const value${i} = ${i};`).join('\n');
      files['src/index.ts'] = `import * as big from './big.js';\nexport const BIG = Object.keys(big).length;\n${files['src/index.ts']}`;
    });
    const { error } = await failureOf(repo, { buildTimeoutMs: 1 });
    expect(error?.code).toBe('TIMEOUT');
    expect(error?.message).toMatch(/esbuild did not finish within 1 ms; raise the `buildTimeoutMs` option/);
  });
});

const coreDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs the build-limit child on `repo`: its output, and how it ended (killed by the backstop if it never exits by itself). */
const hostEnding = (repo: TestRepo) =>
  runToExit([join(coreDir, 'test/support/build-limit-child.mjs'), pathToFileURL(join(coreDir, 'dist/index.js')).href, repo.url, join(work, `child-${repos.length}`)], 45_000);

describe('a limit stops the work it bounds', () => {
  it('a build past its limit is cancelled: the host gets TIMEOUT, closes, and exits by itself', async () => {
    const repo = await repoWith((files) => {
      // A long chain of modules: esbuild would go on loading them long after the limit.
      for (let i = 0; i < 3000; i++) files[`src/chain/m${i}.ts`] = i === 2999 ? 'export const end = 1;\n' : `export * from './m${i + 1}.js';\nexport const v${i} = ${i};\n`;
      files['src/index.ts'] = `import * as chain from './chain/m0.js';\nexport const CHAIN = Object.keys(chain).length;\n${files['src/index.ts']}`;
    });
    const { out, exit } = await hostEnding(repo);
    expect(JSON.parse(out)).toEqual({ code: 'TIMEOUT' });
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('a source file that is a link to /dev/zero never makes the build read forever: refused before it, and the host exits', async () => {
    const repo = await repoWith((files) => {
      files['src/endless.ts'] = { symlink: '/dev/zero' };
      files['src/index.ts'] = `import './endless.js';\n${files['src/index.ts']}`;
    });
    const { out, exit } = await hostEnding(repo);
    expect(JSON.parse(out)).toEqual({ code: 'UNSAFE_CHECKOUT' });
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);
});

describe('size limits of a checkout', () => {
  it('refuses a checkout with more files than maxCheckoutFiles, or more bytes than maxCheckoutBytes', async () => {
    const many = await repoWith((files) => {
      for (let i = 0; i < 60; i++) files[`data/file-${i}.txt`] = `${i}\n`;
    });
    const byCount = await failureOf(many, { maxCheckoutFiles: 50 });
    expect(byCount.error?.code).toBe('LIMIT_EXCEEDED');
    expect(byCount.error?.message).toMatch(/has more than 50 files \(maxCheckoutFiles\)/);
    const big = await repoWith((files) => {
      files['data/blob.txt'] = 'x'.repeat(300_000);
    });
    const bySize = await failureOf(big, { maxCheckoutBytes: 100_000 });
    expect(bySize.error?.code).toBe('LIMIT_EXCEEDED');
    expect(bySize.error?.message).toMatch(/more than 100000 bytes \(maxCheckoutBytes\)/);
  });
});
