import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRepo, echoProviderFiles, startGitHttpServer, type GitHttpServer, type TestRepo } from '@mediaconduit/testing';
import { createProviderRegistry, MediaConduitError, type ProviderRegistryOptions, type TextModelV1 } from '../src/index.js';
import { parseManifest } from '../src/manifest/read-manifest.js';
import { hostileProviderFiles } from './support/hostile-provider.js';

const run = promisify(execFile);
const KEY = 'sk-host-keeps-this-4f1d9a7c2b';
const OLD_TOKEN = 'tok-legacy-never-crosses-9e2';
const coreIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let work: string;
let hostile: TestRepo;
let echo: TestRepo;
let thief: TestRepo;
let endless: TestRepo;
let allowed: { server: Server; origin: string; seen: string[] };
let other: { server: Server; origin: string; seen: string[] };
let n = 0;

/** A loopback server that answers with the Authorization header it received, and records it. */
async function whoami(): Promise<{ server: Server; origin: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    seen.push(request.headers.authorization ?? '');
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ authorization: request.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-isolation-'));
  allowed = await whoami();
  other = await whoami();
  hostile = await createTestRepo('hostile');
  await hostile.commit(hostileProviderFiles());
  echo = await createTestRepo('echo');
  await echo.commit(echoProviderFiles({ id: 'echo' }));
  thief = await createTestRepo('thief');
  await thief.commit(
    hostileProviderFiles({
      id: 'thief',
      atImport: `try { fs.writeFileSync(${JSON.stringify(join(work, 'stolen.txt'))}, String(process.env.TOGETHER_API_KEY)); } catch {}`,
    }),
  );
  endless = await createTestRepo('endless');
  await endless.commit(hostileProviderFiles({ id: 'endless', initialize: 'for (;;) {}' }));
});

afterAll(async () => {
  await Promise.all([hostile.remove(), echo.remove(), thief.remove(), endless.remove()]);
  allowed.server.close();
  other.server.close();
  await rm(work, { recursive: true, force: true });
});

function registry(options: ProviderRegistryOptions = {}) {
  const id = ++n;
  return createProviderRegistry({
    cacheDir: join(work, `cache-${id}`),
    lockfile: join(work, `lock-${id}.json`),
    env: { HOSTILE_API_KEY: KEY, HOSTILE_REGION: 'eu-west', HOSTILE_OLD_TOKEN: OLD_TOKEN, TOGETHER_API_KEY: KEY },
    secretOrigins: { HOSTILE_API_KEY: [allowed.origin] },
    logger: { debug() {}, warn() {}, error() {} },
    ...options,
  });
}

async function command(model: TextModelV1, text: string): Promise<unknown> {
  return JSON.parse((await model.transform(text)).text);
}

/** Whether process `pid` has ended; waits for it, up to a bound far above any machine's need. */
async function ended(pid: number): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('a provider in a process of its own', () => {
  it('is the default for code from the network; local repositories run in this process', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mc-isolation-git-'));
    await run('git', ['clone', '--quiet', '--bare', echo.dir, join(root, 'acme/echo.git')]);
    const server: GitHttpServer = await startGitHttpServer(root);
    const r = registry({ rewrites: { 'https://github.com/': server.baseUrl } });
    try {
      await r.getProvider('github:acme/echo');
      await r.getProvider(hostile.url);
      expect(r.listProviders().map((p) => [p.id, p.isolation])).toEqual([
        ['echo', 'process'],
        ['hostile', 'none'],
      ]);
      const isolated = await r.getProvider(hostile.url, { isolation: 'process' });
      expect(r.listProviders().find((p) => p.provider === isolated)?.isolation).toBe('process');
    } finally {
      await r.close();
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('sees an empty environment: only the declared settings that are not secret, and a stand-in for the secret the host keeps', async () => {
    const r = registry();
    try {
      const isolated = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      expect(await command(isolated, 'env')).toEqual({ processEnv: {}, key: null, required: '[kept by the host]', region: 'eu-west', oldToken: null });
      // In this process too, the secret the host keeps is never handed over; an old-style secret still is.
      const inProcess = (await (await r.getProvider(hostile.url, { isolation: 'none' })).getModel('cmd')) as TextModelV1;
      expect(await command(inProcess, 'env')).toMatchObject({ key: null, required: '[kept by the host]', region: 'eu-west', oldToken: OLD_TOKEN });
      // A secret without a delivery cannot be required by an isolated provider, and the error says why.
      const error = await registry({ env: {} })
        .getProvider(hostile.url, { isolation: 'process' })
        .then((p) => p.getModel('cmd'))
        .then((m) => (m as TextModelV1).transform('env'))
        .catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(error, 'MISSING_CONFIGURATION')).toBe(true);
    } finally {
      await r.close();
    }
  });

  it("sends a kept secret only to the origins its manifest and the host's operator allow, in both modes", async () => {
    const r = registry();
    try {
      for (const isolation of ['process', 'none'] as const) {
        const model = (await (await r.getProvider(hostile.url, { isolation })).getModel('cmd')) as TextModelV1;
        expect(await command(model, `get ${allowed.origin}`)).toEqual({ status: 200, body: { authorization: `Bearer ${KEY}` } });
        expect(await command(model, `get ${other.origin}`)).toEqual({ status: 200, body: { authorization: 'Bearer [kept by the host]' } });
      }
      expect(allowed.seen.filter((h) => h === `Bearer ${KEY}`).length).toBeGreaterThanOrEqual(2);
      expect(other.seen.some((h) => h.includes(KEY))).toBe(false);
    } finally {
      await r.close();
    }
  });

  it('may read nothing outside its folder, write only its scratch folder, and start no process, worker or native addon', async () => {
    const secretFile = join(work, 'host-secret.txt');
    await writeFile(secretFile, 'the host only');
    const r = registry();
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      expect(await command(model, `read ${secretFile}`)).toEqual({ error: 'ERR_ACCESS_DENIED' });
      expect(await command(model, `write ${join(work, 'planted.txt')}`)).toEqual({ error: 'ERR_ACCESS_DENIED' });
      expect(existsSync(join(work, 'planted.txt'))).toBe(false);
      expect(await command(model, 'spawn')).toEqual({ error: 'ERR_ACCESS_DENIED' });
      expect(await command(model, 'worker')).toEqual({ error: 'ERR_ACCESS_DENIED' });
      // No native addon loads, whatever the file: the permission model refuses before looking.
      expect(await command(model, `addon ${join(work, 'any.node')}`)).toEqual({ error: 'ERR_DLOPEN_DISABLED' });
      expect(await command(model, 'scratch')).toEqual({ ok: 'mine' });
      // The same provider in this process reads the file: the test above can fail.
      const inProcess = (await (await r.getProvider(hostile.url, { isolation: 'none' })).getModel('cmd')) as TextModelV1;
      expect(await command(inProcess, `read ${secretFile}`)).toEqual({ ok: 'the host only' });
      expect(await command(inProcess, `addon ${join(work, 'any.node')}`)).toEqual({ error: 'ERR_DLOPEN_FAILED' });
    } finally {
      await r.close();
    }
  });

  it('never holds the key: not in its environment, not in its heap, not in any byte over its channel', async () => {
    // Every byte each way on each child's channel (fd 3): what the host writes, and what it reads.
    const toChild: Buffer[] = [];
    const fromChild: Buffer[] = [];
    const childProcesses = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const realSpawn = childProcesses.spawn;
    childProcesses.spawn = ((...args: Parameters<typeof realSpawn>) => {
      const child = realSpawn(...args);
      const channel = child.stdio[3] as Duplex | null | undefined;
      if (!channel) return child; // git, without a channel
      channel.on('data', (chunk: Buffer) => fromChild.push(Buffer.from(chunk)));
      const write = channel.write.bind(channel) as (...a: unknown[]) => boolean;
      channel.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
        toChild.push(Buffer.from(chunk));
        return write(chunk, ...rest);
      }) as typeof channel.write;
      return child;
    }) as typeof realSpawn;
    syncBuiltinESMExports();
    const r = registry();
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      await command(model, 'env');
      expect(await command(model, `get ${allowed.origin}`)).toMatchObject({ body: { authorization: `Bearer ${KEY}` } });
      const heap = (await command(model, 'heap')) as { ok: string };
      const snapshot = await readFile(heap.ok);
      expect(snapshot.length).toBeGreaterThan(100_000);
      expect(snapshot.includes(KEY)).toBe(false);
      expect(snapshot.includes(OLD_TOKEN)).toBe(false);
      // The fake server's answer echoes the header it got, and the provider's result repeats it: the
      // key may cross only inside that echo, in each direction.
      const count = (bytes: Buffer, text: string | RegExp) => bytes.toString('latin1').split(text).length - 1;
      // (In the result, the echo is JSON inside a JSON string: its quotes are escaped.)
      const echo = new RegExp(`authorization\\\\*":\\\\*"Bearer ${KEY}`);
      for (const [direction, chunks] of [
        ['to the child', toChild],
        ['from the child', fromChild],
      ] as const) {
        const bytes = Buffer.concat(chunks);
        expect(bytes.length, direction).toBeGreaterThan(1000);
        expect(count(bytes, KEY), direction).toBe(count(bytes, echo));
        expect(count(bytes, OLD_TOKEN), direction).toBe(0);
      }
      expect(count(Buffer.concat(toChild), KEY)).toBeGreaterThan(0); // the echo is seen: the search works
    } finally {
      childProcesses.spawn = realSpawn;
      syncBuiltinESMExports();
      await r.close();
    }
  });

  it("starts a load's process as soon as the provider's id is known, and ends, unused, one started for an id the lockfile got wrong", async () => {
    // Every provider process spawned, and how each ended.
    const spawned: { pid: number; args: string[]; exit?: string }[] = [];
    const childProcesses = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const realSpawn = childProcesses.spawn;
    childProcesses.spawn = ((...args: Parameters<typeof realSpawn>) => {
      const child = realSpawn(...args);
      const argv = (args[1] ?? []) as string[];
      if (argv.some((arg) => arg.endsWith('child-main.cjs'))) {
        const entry = { pid: child.pid ?? -1, args: argv } as (typeof spawned)[number];
        spawned.push(entry);
        child.once('exit', (code, signal) => {
          entry.exit = signal ?? String(code);
        });
      }
      return child;
    }) as typeof realSpawn;
    syncBuiltinESMExports();
    const cacheDir = join(work, 'cache-prestart');
    const lockfile = join(work, 'lock-prestart.json');
    const load = async () => {
      const r = registry({ cacheDir, lockfile });
      try {
        const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
        return { pid: await command(model, 'pid'), scratch: await command(model, 'scratch') };
      } finally {
        await r.close();
      }
    };
    try {
      // Cold: the process starts once the manifest is read (before install and build), and it is the one serving.
      const cold = await load();
      expect(spawned).toHaveLength(1);
      expect(cold).toEqual({ pid: spawned[0]!.pid, scratch: { ok: 'mine' } });
      spawned.length = 0;
      // Warm: one process, started before the bundle was verified, and it is the one serving.
      const warm = await load();
      expect(spawned).toHaveLength(1);
      expect(warm).toEqual({ pid: spawned[0]!.pid, scratch: { ok: 'mine' } });
      expect(spawned[0]!.args).toContain(`--allow-fs-write=${join(cacheDir, 'state', 'providers', 'hostile')}`);

      // A lockfile naming another id: the process started for it may write only that id's folder, so it is not used.
      const pinned = JSON.parse(await readFile(lockfile, 'utf8')) as { providers: Record<string, { provider: { id: string } }> };
      for (const entry of Object.values(pinned.providers)) entry.provider.id = 'someone-else';
      await writeFile(lockfile, JSON.stringify(pinned));
      spawned.length = 0;
      const relabelled = await load();
      expect(spawned).toHaveLength(2);
      expect(spawned[0]!.args).toContain(`--allow-fs-write=${join(cacheDir, 'state', 'providers', 'someone-else')}`);
      expect(await ended(spawned[0]!.pid)).toBe(true);
      expect(spawned[0]!.exit).toBe('SIGKILL');
      expect(relabelled).toEqual({ pid: spawned[1]!.pid, scratch: { ok: 'mine' } });

      // A cold load whose build fails: its process was started once the manifest was read, before
      // the build, and is ended with the load (a load that spawned only after building never would).
      const broken = await createTestRepo('broken');
      try {
        await broken.commit({ ...hostileProviderFiles({ id: 'broken' }), 'src/index.ts': 'export default (' });
        spawned.length = 0;
        const r = registry();
        try {
          await expect(r.getProvider(broken.url, { isolation: 'process' })).rejects.toMatchObject({ code: 'BUILD_FAILED' });
        } finally {
          await r.close();
        }
        expect(spawned).toHaveLength(1);
        expect(spawned[0]!.args.some((arg) => arg.startsWith('--allow-fs-write=') && arg.endsWith(join('state', 'providers', 'broken')))).toBe(true);
        expect(await ended(spawned[0]!.pid)).toBe(true);
        expect(spawned[0]!.exit).toBe('SIGKILL');
      } finally {
        await broken.remove();
      }
    } finally {
      childProcesses.spawn = realSpawn;
      syncBuiltinESMExports();
    }
  });

  it('stops the attacks of the campaign: a key stolen at import, a replaced fetch, a polluted prototype', async () => {
    const stolen = join(work, 'stolen.txt');
    const r = registry();
    try {
      await r.getProvider(thief.url, { isolation: 'process' });
      expect(existsSync(stolen)).toBe(false);
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      const fetchBefore = globalThis.fetch;
      expect(await command(model, 'pollute')).toBe('done');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(globalThis.fetch).toBe(fetchBefore);
      // In this process, the same code does harm: the test would catch it.
      const saved = process.env.TOGETHER_API_KEY;
      process.env.TOGETHER_API_KEY = KEY;
      try {
        await r.getProvider(thief.url, { isolation: 'none' });
        expect(await readFile(stolen, 'utf8')).toBe(KEY);
      } finally {
        if (saved === undefined) delete process.env.TOGETHER_API_KEY;
        else process.env.TOGETHER_API_KEY = saved;
        await rm(stolen, { force: true });
      }
    } finally {
      await r.close();
    }
  });

  it('in this process, the same provider ends its host with process.exit(3), hangs it in initialize(), and pollutes its prototypes', async () => {
    const host = (specifier: string, then: string) =>
      spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { createProviderRegistry } = await import(${JSON.stringify(coreIndex)});
           const r = createProviderRegistry({ cacheDir: ${JSON.stringify(join(work, 'cache-in-process'))}, lockfile: false, env: { HOSTILE_API_KEY: 'k' }, initializeTimeoutMs: 500 });
           const provider = await r.getProvider(${JSON.stringify(specifier)}, { isolation: 'none' });
           ${then}
           await r.close();`,
        ],
        { stdio: 'ignore' },
      );
    const exited = (child: ReturnType<typeof spawn>, boundMs: number) =>
      new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('still running');
        }, boundMs);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code ?? 'killed');
        });
      });
    expect(await exited(host(hostile.url, "await (await provider.getModel('cmd')).transform('exit');"), 60_000)).toBe(3);
    // Its initialize() never yields: the host's own time limit cannot fire, and it runs until killed.
    expect(await exited(host(endless.url, ''), 8_000)).toBe('still running');
    const r = registry();
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'none' })).getModel('cmd')) as TextModelV1;
      const fetchBefore = globalThis.fetch;
      await command(model, 'pollute');
      expect(({} as Record<string, unknown>).polluted).toBe('yes');
      expect(globalThis.fetch).not.toBe(fetchBefore);
      delete (Object.prototype as Record<string, unknown>).polluted;
      globalThis.fetch = fetchBefore;
    } finally {
      await r.close();
    }
  });

  it('survives a provider that exits: the call fails with PROVIDER_CRASHED, the next one after a back-off starts it again', async () => {
    let now = 1_000_000;
    const r = registry({ now: () => now });
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      const other = (await (await r.getProvider(echo.url, { isolation: 'process' })).getModel('echo-1')) as TextModelV1;
      const first = (await command(model, 'pid')) as number;
      const crash = await model.transform('exit', { retry: false }).catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(crash, 'PROVIDER_CRASHED')).toBe(true);
      expect((crash as MediaConduitError).message).toMatch(/exited with code 3/);
      // The other provider goes on; this one waits out its back-off (the clock has not moved).
      expect((await other.transform('still here')).text).toContain('still here');
      const early = await model.transform('pid', { retry: false }).catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(early, 'PROVIDER_CRASHED')).toBe(true);
      expect((early as MediaConduitError).retryAfterMs).toBe(1000);
      now += 1000;
      const second = (await command(model, 'pid')) as number;
      expect(second).not.toBe(first);
      // A crash right after a call that worked: the back-off starts over, not doubled.
      await model.transform('exit', { retry: false }).catch(() => {});
      expect(((await model.transform('pid', { retry: false }).catch((e: unknown) => e)) as MediaConduitError).retryAfterMs).toBe(1000);
      // Two crashes in a row, with no call that worked between them: the wait doubles.
      now += 1000;
      await model.transform('exit', { retry: false }).catch(() => {});
      const doubled = (await model.transform('pid', { retry: false }).catch((e: unknown) => e)) as MediaConduitError;
      expect(doubled.code).toBe('PROVIDER_CRASHED');
      expect(doubled.retryAfterMs).toBe(2000);
    } finally {
      await r.close();
    }
  });

  it('ends a provider that hangs in a call, or in initialize(), or outgrows its memory cap, with a typed error', async () => {
    const r = registry({ env: { HOSTILE_API_KEY: KEY, MEDIACONDUIT_ISOLATION_HEARTBEAT_MS: '500' }, isolationMemoryMb: 48, initializeTimeoutMs: 3000 });
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      const hung = await model.transform('hang', { retry: false }).catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(hung, 'TIMEOUT')).toBe(true);
      expect((hung as MediaConduitError).message).toMatch(/stopped answering/);
      const oom = (await r.getProvider(hostile.url, { isolation: 'process', config: { n: 2 } }).then((p) => p.getModel('cmd'))) as TextModelV1;
      const out = await oom.transform('oom', { retry: false }).catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(out, 'PROVIDER_CRASHED')).toBe(true);
      expect((out as MediaConduitError).details.outOfMemory).toBe(true);
      const stuck = await r.getProvider(endless.url, { isolation: 'process' }).catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(stuck, 'TIMEOUT')).toBe(true);
    } finally {
      await r.close();
    }
  });

  it('brings errors back with their code and fields, and streams part by part', async () => {
    const r = registry();
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      const error = (await model.transform('fail', { retry: false }).catch((e: unknown) => e)) as MediaConduitError;
      expect(MediaConduitError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterMs: 1234, message: expect.stringContaining('slow down') });
      expect(error.details).toMatchObject({ where: 'hostile' });
      const parts: unknown[] = [];
      for await (const part of model.stream('one two three')) parts.push(part);
      expect(parts).toEqual([
        { type: 'text-delta', text: 'one' },
        { type: 'text-delta', text: 'two' },
        { type: 'text-delta', text: 'three' },
        { type: 'finish', finishReason: 'stop' },
      ]);
      // A reader that stops early ends the stream in the child too; the next call works.
      for await (const _ of model.stream('a b c d e f')) break;
      expect(await command(model, 'scratch')).toEqual({ ok: 'mine' });
    } finally {
      await r.close();
    }
  });

  it('lets a provider have the host make at most 256 requests at once for it, refusing the rest with LIMIT_EXCEEDED', async () => {
    // A server that takes every request and answers none: they stay in flight until the provider aborts them.
    const held: import('node:http').ServerResponse[] = [];
    const silent = createServer((_request, response) => void held.push(response));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const r = registry();
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      expect(await command(model, `flood ${origin}`)).toEqual({ limited: 300 - 256, aborted: 256 });
      // The host is unharmed: the same process serves the next call.
      expect(await command(model, 'pid')).toEqual(expect.any(Number));
    } finally {
      await r.close();
      for (const response of held) response.destroy();
      silent.close();
    }
  });

  it('ends a provider that sends stream parts past the flow control, rather than hold them all', async () => {
    const r = registry();
    try {
      const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
      const parts = model.stream('flood-stream')[Symbol.asyncIterator]();
      // The first parts reach the reader; once more are queued than were granted, the process is ended.
      let failure: unknown = new Error('expected the stream to fail');
      for (let read = 0; read < 100; read++) {
        const next = await parts.next().catch((error: unknown) => error);
        if (next instanceof Error || MediaConduitError.isInstance(next)) {
          failure = next;
          break;
        }
      }
      expect(failure).toMatchObject({ code: 'PROVIDER_CRASHED', message: expect.stringContaining('more parts of a stream than the 32 it was granted') });
    } finally {
      await r.close();
    }
  });

  it('refuses to hand a secret in the config to an isolated provider', async () => {
    const r = registry();
    try {
      const error = await r.getProvider(hostile.url, { isolation: 'process', config: { apiKey: 'sk-in-config' } }).catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(error, 'INVALID_OPTIONS')).toBe(true);
      expect(String((error as Error).message)).not.toContain('sk-in-config');
    } finally {
      await r.close();
    }
  });

  it('ends every child on registry.close(), and when its host ends on SIGKILL, SIGTERM or SIGINT', async () => {
    const r = registry();
    const model = (await (await r.getProvider(hostile.url, { isolation: 'process' })).getModel('cmd')) as TextModelV1;
    const pid = (await command(model, 'pid')) as number;
    await r.close();
    expect(await ended(pid)).toBe(true);

    const script = `
      const { createProviderRegistry } = await import(${JSON.stringify(coreIndex)});
      const r = createProviderRegistry({ cacheDir: ${JSON.stringify(join(work, 'cache-killed'))}, lockfile: false, env: { HOSTILE_API_KEY: 'k' } });
      const model = await (await r.getProvider(${JSON.stringify(hostile.url)}, { isolation: 'process' })).getModel('cmd');
      console.log((await model.transform('pid')).text);
      setInterval(() => {}, 1000);
    `;
    for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
      const host = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const childPid = await new Promise<number>((resolve, reject) => {
        host.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        host.once('exit', (code) => reject(new Error(`host exited early (${code})`)));
      });
      expect(() => process.kill(childPid, 0), signal).not.toThrow(); // alive while its host is
      host.kill(signal);
      expect(await ended(childPid), signal).toBe(true);
    }
  });
});

describe('the manifest says where a secret may go', () => {
  it('refuses origins that are malformed or not https, and a header without {value}, each with its line', async () => {
    const manifest = [
      'id: bad',
      'name: Bad',
      'version: 1.0.0',
      'type: remote',
      'capabilities: [text-to-text]',
      'contract: "^0.1.0"',
      'env:',
      '  - name: BAD_KEY',
      '    secret:',
      '      origins: [http://api.example.com, "https://api.example.com/v1", not a url]',
      '      header: "Authorization: Bearer"',
      '',
    ].join('\n');
    const error = (await parseManifest(manifest, 'bad/MediaConduit.provider.yml').catch((e: unknown) => e)) as MediaConduitError;
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toMatch(/https only/);
    expect(error.message).toMatch(/origin alone/);
    expect(error.message).toMatch(/not a URL/);
    expect(error.message).toMatch(/\{value\}/);
    const problems = (error.details as { problems: { line?: number }[] }).problems;
    expect(problems.length).toBeGreaterThanOrEqual(4);
    expect(problems.every((p) => p.line === 10 || p.line === 11)).toBe(true);
  });
});
