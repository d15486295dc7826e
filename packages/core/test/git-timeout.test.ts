// The git time limit fires whatever the garbage collector does, and ends everything git started.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const coreDir = fileURLToPath(new URL('..', import.meta.url));
let silent: Server;
let port = 0;
let work: string;
const sockets: Socket[] = [];
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-git-timeout-'));
  // Accepts connections and never answers.
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await rm(work, { recursive: true, force: true });
});

it('fires under forced garbage collection, and the process then exits by itself with no git process left', async () => {
  const child = spawn(
    process.execPath,
    ['--expose-gc', join(coreDir, 'test/support/git-timeout-child.mjs'), pathToFileURL(join(coreDir, 'dist/index.js')).href, String(port), join(work, 'cache')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  // Backstop only, so that a failing run ends: the child should be long gone by then.
  const backstop = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  clearTimeout(backstop);
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
  expect(stderr.split('\n').filter((line) => line.startsWith('RESOLVED ') && line.endsWith('/dist/pipeline/ensure-bundle.js'))).toHaveLength(1);
}, 40_000);
