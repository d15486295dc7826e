// A load killed with `kill -9` leaves nothing that breaks the next one: the git it started is
// ended by the next process's sweep, and the sweep never fails with a raw error, even on a
// leftover another process still writes into.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createTestRepo, echoProviderFiles, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProviderRegistry } from '../src/index.js';
import { startSilentServer } from './support/processes.js';

const run = promisify(execFile);
const coreDir = fileURLToPath(new URL('..', import.meta.url));
let work: string;
let repo: TestRepo;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let port = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-killed-'));
  repo = await createTestRepo('echo');
  await repo.commit(echoProviderFiles({ id: 'echo' }));
  // A Git server that accepts connections and never answers: a clone of it runs until it is ended.
  silent = await startSilentServer();
  port = silent.port;
});
afterAll(async () => {
  await silent.close();
  await Promise.all([repo.remove(), rm(work, { recursive: true, force: true })]);
});

/** The pid of a process that has exited: what a `kill -9` leaves behind. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim());

/** Live (not zombie) processes whose command line names the silent server. */
async function gitsOfSilentServer(): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'stat=,args=']);
  return stdout.split('\n').filter((line) => line.includes(`127.0.0.1:${port}`) && !line.trim().startsWith('Z'));
}

/** Waits (a bounded number of rounds) until `check` holds; resolves to whether it did. */
async function eventually(check: () => Promise<boolean>, rounds = 200): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

it('the git of a host killed with kill -9 is ended by the next load in the same cache, which then works', async () => {
  const cacheDir = join(work, 'cache-orphan');
  const host = spawn(
    process.execPath,
    [
      '-e',
      `const { createProviderRegistry } = await import(${JSON.stringify(pathToFileURL(join(coreDir, 'dist/index.js')).href)});
       const registry = createProviderRegistry({ cacheDir: ${JSON.stringify(cacheDir)}, lockfile: false, rewrites: { 'https://github.com/': 'http://127.0.0.1:${port}/' }, env: {} });
       await registry.getProvider('github:acme/stalls');`,
      '--input-type=module',
    ],
    { stdio: 'ignore' },
  );
  try {
    // The clone is under way once the server has a connection and git runs in the cache.
    expect(await eventually(async () => silent.sockets.length > 0 && (await gitsOfSilentServer()).length > 0)).toBe(true);
  } finally {
    host.kill('SIGKILL');
  }
  await new Promise((resolve) => host.once('exit', resolve));
  // kill -9 ends the host only: its git is an orphan, still writing into the cache's tmp/.
  expect((await gitsOfSilentServer()).length).toBeGreaterThan(0);
  const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {} });
  try {
    expect((await registry.getProvider(repo.url)).id).toBe('echo');
  } finally {
    await registry.close();
  }
  expect(await eventually(async () => (await gitsOfSilentServer()).length === 0)).toBe(true);
  expect((await readdir(join(cacheDir, 'tmp'))).filter((name) => name.startsWith('clone-'))).toEqual([]);
}, 60_000);

it('a leftover that another process still writes into never makes a load fail: the sweep leaves it for later', async () => {
  const cacheDir = join(work, 'cache-writer');
  const leftover = join(cacheDir, 'tmp', `checkout-${deadPid()}-abcdef012345`);
  await mkdir(leftover, { recursive: true });
  // A writer the cache knows nothing of (no record of it): it keeps adding files, for a bounded time.
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); const dir = ${JSON.stringify(leftover)}; const end = Date.now() + 20000; let i = 0;
       const tick = () => { if (Date.now() > end) return; try { fs.mkdirSync(dir + '/d' + (i % 7), { recursive: true }); fs.writeFileSync(dir + '/d' + (i % 7) + '/f' + i++, 'x'); } catch {} setImmediate(tick); };
       process.stdout.write('writing\\n'); tick();`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    await new Promise((resolve) => writer.stdout.once('data', resolve));
    for (let round = 0; round < 3; round++) {
      const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {} });
      try {
        expect((await registry.getProvider(`${repo.url}@main`)).id).toBe('echo');
      } finally {
        await registry.close();
      }
    }
  } finally {
    writer.kill('SIGKILL');
  }
}, 60_000);
