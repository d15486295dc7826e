// A token never follows a redirect: the Git server it was given for answers with a redirect to
// another origin (another port, or another host name for the same machine), and that origin
// must never see the Authorization header.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestRepo, echoProviderFiles, startGitHttpServer, type GitHttpServer, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, MediaConduitError } from '../src/index.js';

const run = promisify(execFile);
const TOKEN = 'ghp_RedirectedTokenMustNeverArrive0123';
let root: string;
let work: string;
let repo: TestRepo;
let target: GitHttpServer;
const redirectors: Server[] = [];
let n = 0;

/** A server that answers every request with a 302 to `origin`, keeping the path and query. */
async function redirectTo(origin: string): Promise<string> {
  const server = createServer((req, res) => res.writeHead(302, { location: `${origin}${req.url ?? '/'}` }).end());
  redirectors.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mc-redirect-root-'));
  work = await mkdtemp(join(tmpdir(), 'mc-redirect-work-'));
  repo = await createTestRepo('shared');
  await repo.commit(echoProviderFiles({ id: 'shared' }));
  await run('git', ['clone', '--quiet', '--bare', repo.dir, join(root, 'acme/shared.git')]);
  target = await startGitHttpServer(root);
});
afterAll(async () => {
  await target.close();
  for (const server of redirectors) server.close();
  await Promise.all([repo.remove(), rm(root, { recursive: true, force: true }), rm(work, { recursive: true, force: true })]);
});

const registryVia = (base: string, tokens: Record<string, string>) => {
  const id = ++n;
  return createProviderRegistry({ cacheDir: join(work, `cache-${id}`), lockfile: false, rewrites: { 'https://github.com/': base }, tokens, env: {} });
};

describe('a token and a redirect', () => {
  const targetOrigin = () => target.baseUrl.replace(/\/$/, '');
  it.each([
    ['another port', () => targetOrigin()],
    ['another host name', () => targetOrigin().replace('127.0.0.1', 'localhost')],
  ])('to %s: the load fails with GIT_FAILED saying why, and the other origin never sees the token', async (_, origin) => {
    const before = target.requests.length;
    const redirector = await redirectTo(origin());
    // The token is given for the host the rewrite points at: the one git talks to.
    const registry = registryVia(redirector, { [new URL(redirector).host]: TOKEN });
    const error = (await registry.getProvider('github:acme/shared').catch((e: unknown) => e)) as MediaConduitError;
    await registry.close();
    expect(MediaConduitError.isInstance(error)).toBe(true);
    expect(error.code).toBe('GIT_FAILED');
    expect(error.message).toMatch(/redirect/i);
    expect(error.message).toMatch(/tokens are sent only to the host they are given for/);
    expect(JSON.stringify(error.toJSON()) + String(error.stack)).not.toContain(TOKEN);
    const seen = target.requests.slice(before);
    expect(seen.filter((request) => request.authorization !== undefined)).toEqual([]);
  });

  it('without a token, a redirect is followed as git does', async () => {
    const registry = registryVia(await redirectTo(targetOrigin()), {});
    const provider = await registry.getProvider('github:acme/shared');
    expect(provider.id).toBe('shared');
    await registry.close();
  });
});
