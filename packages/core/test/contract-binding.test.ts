import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as contract from '@mediaconduit/provider';
import { createTestRepo, echoProviderFiles, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_SETTINGS_ID } from '../src/build/build-settings-id.js';
import * as core from '../src/index.js';
import type { Lockfile } from '../src/lockfile/lockfile.js';

const repos: TestRepo[] = [];
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-binding-'));
});
afterAll(async () => {
  await Promise.all(repos.map((repo) => repo.remove()));
  await rm(work, { recursive: true, force: true });
});

async function repoWith(files: Parameters<typeof echoProviderFiles>[0]): Promise<TestRepo> {
  const repo = await createTestRepo('echo');
  repos.push(repo);
  await repo.commit(echoProviderFiles(files));
  return repo;
}

const registryIn = (name: string) => core.createProviderRegistry({ cacheDir: join(work, name, 'cache'), lockfile: join(work, name, 'lock.json'), env: {} });

describe('provider bundles bind to the contract alone', () => {
  it("bind exactly the contract's names, so the loader's exports change no bundle key and no lockfile", async () => {
    const repo = await repoWith({ id: 'echo' });
    const registry = registryIn('pinned');
    await registry.getProvider(repo.url);
    await registry.close();
    const lock = JSON.parse(await readFile(join(work, 'pinned/lock.json'), 'utf8')) as Lockfile;
    const entry = Object.values(lock.providers)[0]!;
    const contractNames = Object.keys(contract).sort();
    // The key is a function of the contract (version and names) and the build settings, not of core.
    const expectedKey = createHash('sha256')
      .update(JSON.stringify([entry.url, entry.commit, '', contract.CONTRACT_VERSION, contractNames.join(','), BUILD_SETTINGS_ID]))
      .digest('hex')
      .slice(0, 32);
    expect(entry.bundle.key).toBe(expectedKey);
    const bundleDir = join(work, 'pinned/cache/bundles', entry.bundle.key);
    const record = JSON.parse(await readFile(join(bundleDir, 'record.json'), 'utf8')) as { bundleFile: string; contract: string };
    expect(record.contract).toBe(contract.CONTRACT_VERSION);
    const bundle = await readFile(join(bundleDir, record.bundleFile), 'utf8');
    // The shim destructures the host's contract; esbuild may rename the local bindings (`Text: Text2`).
    const bound = /\{([^}]+)\} = contract\w*;/
      .exec(bundle)?.[1]
      ?.split(',')
      .map((item) => item.split(':')[0]!.trim());
    expect(bound).toEqual(contractNames);
    const loaderOnly = Object.keys(core).filter((name) => !contractNames.includes(name));
    expect(loaderOnly).toEqual(expect.arrayContaining(['createProviderRegistry', 'parseSpecifier', 'CORE_VERSION']));
    for (const name of loaderOnly) expect(bundle).not.toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('still loads a provider written before the contract had its own package (core: in the manifest, imports from @mediaconduit/core)', async () => {
    const repo = await repoWith({ id: 'echo', legacy: true });
    expect(await readFile(join(repo.dir, 'MediaConduit.provider.yml'), 'utf8')).toMatch(/^core: "\^0\.1\.0"$/m);
    const registry = registryIn('legacy');
    const provider = await registry.getProvider(repo.url);
    const text = await (await provider.getModel('echo-1', { capability: 'text-to-text' })).transform('old');
    expect(text.text).toBe('old v1.0.0');
    await registry.close();
  });

  it('says how to update a provider that imports a loader function, and refuses other MediaConduit modules', async () => {
    const loaderName = await repoWith({
      id: 'echo',
      legacy: true,
      extra: "import { createProviderRegistry } from '@mediaconduit/core';\nexport const registryFactory = createProviderRegistry;",
    });
    const registry = registryIn('refused');
    const error = await registry.getProvider(loaderName.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUILD_FAILED' });
    expect((error as Error).message).toMatch(
      /"createProviderRegistry" is not part of the provider contract @mediaconduit\/provider 0\.1\.0; providers may import only its exports/,
    );
    expect((error as Error).message).toMatch(/come through the provider context \(context\.createHttpClient\)/);
    const internal = await repoWith({ id: 'echo', extra: "import { createTestRepo } from '@mediaconduit/testing';\nexport const make = createTestRepo;" });
    const refused = await registry.getProvider(internal.url).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/"@mediaconduit\/testing" cannot be imported by a provider; a provider imports only "@mediaconduit\/provider"/);
    await registry.close();
  });

  it('refuses a provider written for an older contract with INCOMPATIBLE_PROVIDER naming both versions', async () => {
    const older = await repoWith({ id: 'echo', contract: '~0.0.9' });
    const registry = registryIn('older');
    const error = await registry.getProvider(older.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INCOMPATIBLE_PROVIDER', details: { required: '~0.0.9', actual: '0.1.0', provider: 'echo' } });
    expect((error as Error).message).toMatch(
      /provider echo@1\.0\.0 is written for the provider contract ~0\.0\.9 \(its manifest's "contract"\), but this host runs @mediaconduit\/provider 0\.1\.0; pin a provider version written for 0\.1\.0, or ask its author to rebuild it against it and set contract: \^0\.1\.0/,
    );
    await registry.close();
  });
});
