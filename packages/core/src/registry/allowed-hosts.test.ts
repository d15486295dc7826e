import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { afterAll, describe, expect, it } from 'vitest';
import { createProviderRegistry } from './provider-registry.js';
import { resolveRegistryOptions } from './registry-options.js';

const work = await mkdtemp(join(tmpdir(), 'mc-allowed-'));
afterAll(() => rm(work, { recursive: true, force: true }));

const refusal = async (promise: Promise<unknown>) => {
  const error = (await promise.catch((e: unknown) => e)) as MediaConduitError;
  expect(MediaConduitError.hasCode(error, 'INVALID_SPECIFIER')).toBe(true);
  return error;
};

describe('allowedHosts', () => {
  const registry = () => createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: false, allowedHosts: ['github.com', 'git.example.com'], env: {} });

  it('refuses other hosts and local repositories before anything runs, saying how to allow them', async () => {
    const r = registry();
    const other = await refusal(r.getProvider('https://gitlab.example.com/team/repo'));
    expect(other.message).toMatch(/host "gitlab\.example\.com" is not among the allowed hosts \(github\.com, git\.example\.com\); add it to the `allowedHosts` option/);
    const local = await refusal(r.getProvider('file:///srv/repos/provider'));
    expect(local.message).toMatch(/a local repository is not among the allowed hosts/);
    await refusal(r.update('https://gitlab.example.com/team/repo'));
    await r.close();
  });

  it('comes from MEDIACONDUIT_ALLOWED_HOSTS, and is checked like every option', () => {
    expect(resolveRegistryOptions({ env: { MEDIACONDUIT_ALLOWED_HOSTS: 'GitHub.com, git.example.com:8443' } }).allowedHosts).toEqual(['github.com', 'git.example.com:8443']);
    expect(resolveRegistryOptions({ env: {} }).allowedHosts).toBeUndefined();
    expect(() => resolveRegistryOptions({ allowedHosts: ['https://github.com'] })).toThrow(/allowedHosts: expected an array of lower-case host names/);
  });

  it("never repeats a secret of a refused specifier, in the registry's own messages either", async () => {
    const r = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: false, env: {} });
    await r.close();
    const closed = (await r.getProvider('https://x-access-token:SECRET-in-url@github.com/o/r').catch((e: unknown) => e)) as MediaConduitError;
    expect(closed).toMatchObject({ code: 'ABORTED' });
    expect(`${closed.message}${closed.stack}${JSON.stringify(closed.toJSON())}`).not.toContain('SECRET-in-url');
  });
});
