// The git time limit fires whatever the garbage collector does, and ends everything git started.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runToExit, startSilentServer } from './support/processes.js';

const coreDir = fileURLToPath(new URL('..', import.meta.url));
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let port = 0;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-git-timeout-'));
  silent = await startSilentServer();
  port = silent.port;
});
afterAll(async () => {
  await silent.close();
  await rm(work, { recursive: true, force: true });
});

it('fires under forced garbage collection, and the process then exits by itself with no git process left', async () => {
  const { out, exit } = await runToExit([
    '--expose-gc',
    join(coreDir, 'test/support/git-timeout-child.mjs'),
    pathToFileURL(join(coreDir, 'dist/index.js')).href,
    String(port),
    join(work, 'cache'),
  ]);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(JSON.parse(out)).toMatchObject({ code: 'TIMEOUT' });
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'args']);
  expect(stdout.split('\n').filter((line) => line.includes(`127.0.0.1:${port}`))).toEqual([]);
}, 40_000);

it('a cold load imports its build side while git waits on the network, not after', async () => {
  // The server never answers, so the fetch never finishes: the build side (manifest, install,
  // esbuild) can only have been imported while git was running.
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      join(coreDir, 'test/support/record-imports.mjs'),
      join(coreDir, 'test/support/git-timeout-child.mjs'),
      pathToFileURL(join(coreDir, 'dist/index.js')).href,
      String(port),
      join(work, 'cache-overlap'),
    ],
    { timeout: 30_000 },
  );
  expect(JSON.parse(stdout)).toMatchObject({ code: 'TIMEOUT' });
  expect(stderr.split('\n').filter((line) => line.startsWith('RESOLVED ') && line.endsWith('/dist/pipeline/build-side.js'))).toHaveLength(1);
}, 40_000);
