import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, lstat } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, MediaConduitError, type ProviderRegistryOptions, type Text } from '../src/index.js';
import { createTestRepo, startGitDaemon, startGitHttpServer, type GitDaemon, type GitHttpServer, type TestRepo, echoProviderFiles } from '@mediaconduit/testing';
import { installGitSpy } from './support/git-spy.js';

const run = promisify(execFile);
const TOKEN = 'ghp_SuperSecretToken1234567890abcdef';

let root: string;
let work: string;
let http: GitHttpServer;
let daemon: GitDaemon;
let publicRepo: TestRepo;
let privateRepo: TestRepo;
let spy: Awaited<ReturnType<typeof installGitSpy>>;
let n = 0;

async function publish(repo: TestRepo, path: string): Promise<void> {
  await run('git', ['clone', '--quiet', '--bare', repo.dir, join(root, path)]);
}

beforeAll(async () => {
  spy = await installGitSpy();
  root = await mkdtemp(join(tmpdir(), 'mc-gitroot-'));
  work = await mkdtemp(join(tmpdir(), 'mc-gitwork-'));
  publicRepo = await createTestRepo('public');
  await publicRepo.commit(echoProviderFiles({ id: 'public', version: '1.0.0' }));
  await publicRepo.tag('v1.0.0');
  privateRepo = await createTestRepo('private');
  await privateRepo.commit(echoProviderFiles({ id: 'private', version: '2.0.0' }));
  await privateRepo.tag('v2.0.0');
  await publish(publicRepo, 'acme/public.git');
  await publish(privateRepo, 'acme/private.git');
  http = await startGitHttpServer(root, { token: TOKEN, privatePaths: ['/acme/private.git'] });
  daemon = await startGitDaemon(root);
});
afterAll(async () => {
  await http.close();
  await daemon.close();
  await Promise.all([publicRepo.remove(), privateRepo.remove(), rm(root, { recursive: true, force: true }), rm(work, { recursive: true, force: true }), spy.uninstall()]);
});

function registry(options: ProviderRegistryOptions = {}) {
  const id = ++n;
  const logs: string[] = [];
  const log = (level: string) => (message: string, fields?: unknown) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const r = createProviderRegistry({
    cacheDir: join(work, `cache-${id}`),
    lockfile: join(work, `lock-${id}.json`),
    rewrites: { 'https://github.com/': http.baseUrl },
    logger: { debug: log('debug'), warn: log('warn'), error: log('error') },
    env: {},
    ...options,
  });
  return { registry: r, logs, cacheDir: join(work, `cache-${id}`), lockfile: join(work, `lock-${id}.json`) };
}

async function text(r: ReturnType<typeof registry>['registry'], specifier: string) {
  const model = await (await r.getProvider(specifier)).getModel('echo-1', { capability: 'text-to-text' });
  return ((await model.transform('hi')) as Text).text;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if ((await lstat(path)).isFile()) out.push(path);
  }
  return out;
}

describe('through a real Git server on 127.0.0.1 (GitHub URLs rewritten onto it)', () => {
  it('loads https://github.com/acme/public over smart HTTP, fetching once', async () => {
    const { registry: r } = registry();
    const before = http.fetchCount('/acme/public.git');
    expect(await text(r, 'https://github.com/acme/public@v1.0.0')).toBe('hi v1.0.0');
    expect(await text(r, 'github:acme/public@^1')).toBe('hi v1.0.0');
    // Exactly one pack fetch: the second specifier resolves to the same commit and reuses the checkout.
    expect(http.fetchCount('/acme/public.git') - before).toBe(1);
  });

  it('loads over git:// from git daemon via an environment rewrite', async () => {
    const { registry: r } = registry({ rewrites: {}, env: { MEDIACONDUIT_GIT_REWRITES: `https://github.com/=${daemon.baseUrl}` } });
    expect(await text(r, 'github:acme/public@v1.0.0')).toBe('hi v1.0.0');
  });

  it("loads from an allowed host (allowedHosts names the specifier's host, not the rewritten one)", async () => {
    const { registry: r } = registry({ allowedHosts: ['github.com'] });
    const provider = await r.getProvider('github:acme/public@v1.0.0');
    expect(provider.id).toBe('public');
    await r.close();
  });

  it('loads a private repository with a token that never leaks', async () => {
    await spy.reset();
    // The token is given for the host git talks to: the one the rewrite points github.com at.
    const { registry: r, logs, cacheDir, lockfile } = registry({ tokens: { [new URL(http.baseUrl).host]: TOKEN }, env: { DEBUG: 'mediaconduit:*' } });
    expect(await text(r, 'github:acme/private@v2.0.0')).toBe('hi v2.0.0');
    const encoded = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    // The server saw the credentials as an Authorization header…
    expect(http.requests.some((q) => q.path.startsWith('/acme/private.git') && q.authorization === `Basic ${encoded}`)).toBe(true);
    // …but no URL carried them,
    expect(http.requests.every((q) => !q.path.includes(TOKEN))).toBe(true);
    // and they are nowhere else: git argv, logs, lockfile, any cached file.
    const argv = (await spy.calls()).join('\n');
    expect(argv).toContain('clone');
    expect(argv).not.toContain(TOKEN);
    expect(argv).not.toContain(encoded);
    expect(logs.join('\n')).not.toContain(TOKEN);
    expect(await readFile(lockfile, 'utf8')).not.toContain(TOKEN);
    for (const file of await filesUnder(cacheDir)) {
      const content = await readFile(file, 'latin1');
      expect(content.includes(TOKEN) || content.includes(encoded), file).toBe(false);
    }
  });

  it('never sends a github.com token to the host a rewrite points github.com at', async () => {
    const before = http.requests.length;
    for (const options of [{ tokens: { 'github.com': TOKEN } }, { env: { GITHUB_TOKEN: TOKEN } }]) {
      const { registry: r } = registry(options);
      const error = (await r.getProvider('github:acme/private@v2.0.0').catch((e: unknown) => e)) as MediaConduitError;
      expect(error.code).toBe('GIT_FAILED');
      expect(error.message).toMatch(/pass a token with the `tokens` option or MEDIACONDUIT_GIT_TOKEN/);
    }
    const seen = http.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((request) => request.authorization !== undefined)).toEqual([]);
  });

  it('without the token fails with GIT_FAILED saying how to pass one, and the error holds no secret', async () => {
    const { registry: r } = registry({ tokens: { 'github.com': 'wrong-token-value' } });
    let caught: unknown;
    try {
      await r.getProvider('github:acme/private@v2.0.0');
    } catch (error) {
      caught = error;
    }
    expect(MediaConduitError.hasCode(caught, 'GIT_FAILED')).toBe(true);
    const error = caught as MediaConduitError;
    expect(error.message).toMatch(/pass a token with the `tokens` option or MEDIACONDUIT_GIT_TOKEN/);
    expect(JSON.stringify(error.toJSON())).not.toContain('wrong-token-value');
    expect(error.message).not.toContain('wrong-token-value');
  });

  it('reads the token from MEDIACONDUIT_GIT_TOKEN, for the host MEDIACONDUIT_GIT_TOKEN_HOST names', async () => {
    const { registry: r } = registry({ env: { MEDIACONDUIT_GIT_TOKEN: TOKEN, MEDIACONDUIT_GIT_TOKEN_HOST: new URL(http.baseUrl).host } });
    expect(await text(r, 'github:acme/private@v2.0.0')).toBe('hi v2.0.0');
  });
});

describe('git runs under limits', () => {
  let silent: Server;
  let port = 0;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('kills git after the time limit and says how to raise it', async () => {
    const { registry: r } = registry({ rewrites: { 'https://github.com/': `http://127.0.0.1:${port}/` }, gitTimeoutMs: 1500 });
    let caught: unknown;
    try {
      await r.getProvider('github:acme/hangs@v1');
    } catch (error) {
      caught = error;
    }
    expect(MediaConduitError.hasCode(caught, 'TIMEOUT')).toBe(true);
    expect((caught as Error).message).toMatch(/did not finish within 1500 ms and was stopped; raise the `gitTimeoutMs` option/);
  });

  it('refuses transports outside the allowlist even when a rewrite points at one', async () => {
    const marker = join(work, 'ext-ran');
    const { registry: r } = registry({ rewrites: { 'https://github.com/': `ext::sh -c touch% ${marker}% ` } });
    let caught: unknown;
    try {
      await r.getProvider('github:acme/public@v1.0.0');
    } catch (error) {
      caught = error;
    }
    expect(MediaConduitError.hasCode(caught, 'GIT_FAILED')).toBe(true);
    await expect(lstat(marker)).rejects.toThrow();
  });
});
