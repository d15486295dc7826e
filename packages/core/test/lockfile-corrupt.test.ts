import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRepo, echoProviderFiles, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, type MediaConduitError } from '../src/index.js';

let repo: TestRepo;
let failing: TestRepo;
let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-lockcorrupt-'));
  repo = await createTestRepo('echo');
  await repo.commit(echoProviderFiles({ id: 'echo' }));
  failing = await createTestRepo('failing');
  const files = echoProviderFiles({ id: 'failing' });
  files['src/index.ts'] = (files['src/index.ts'] as string).replace(
    'isAvailable() { return true; },',
    "isAvailable() { return true; },\n    async initialize() { throw new Error('no device'); },",
  );
  await failing.commit(files);
});
afterAll(async () => {
  await Promise.all([repo.remove(), failing.remove(), rm(work, { recursive: true, force: true })]);
});

async function loadWith(lockText: string | undefined, specifier = repo.url): Promise<{ error: MediaConduitError | undefined; lockfile: string }> {
  const lockfile = join(work, `lock-${++n}.json`);
  if (lockText !== undefined) await writeFile(lockfile, lockText);
  const registry = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile, env: {} });
  const error = (await registry.getProvider(specifier).then(
    () => undefined,
    (e: unknown) => e,
  )) as MediaConduitError | undefined;
  await registry.close();
  return { error, lockfile };
}

const entryOf = (url: string, entry: unknown) => JSON.stringify({ lockfileVersion: 1, providers: { [url]: entry } }, null, 2);

describe('a corrupt lockfile', () => {
  it.each([
    ['null', 'null', /is not a lockfile object/],
    ['an array', '[]', /is not a lockfile object/],
    ['invalid JSON', '{\n  "lockfileVersion": 1,\n  "providers": {,\n}', /is not valid JSON \(line 3, column 17\)/],
    ['an unknown version', '{ "lockfileVersion": 7, "providers": {} }', /lockfileVersion is 7; this version of MediaConduit reads lockfileVersion 1/],
    ['providers that is not an object', '{ "lockfileVersion": 1, "providers": null }', /providers must be an object/],
  ])('holding %s fails with LOCKFILE_CORRUPT, saying how to repair it', async (_, text, reason) => {
    const { error } = await loadWith(text);
    expect(error?.code).toBe('LOCKFILE_CORRUPT');
    expect(error?.message).toMatch(reason);
    expect(error?.message).toMatch(/restore it from version control, or delete it and run `mediaconduit update`/);
  });

  it('with an entry {} or an entry without bundle names the entry, its line and its broken fields', async () => {
    const empty = await loadWith(entryOf(repo.url, {}));
    expect(empty.error?.code).toBe('LOCKFILE_CORRUPT');
    expect(empty.error?.message).toMatch(
      new RegExp(`entry "${repo.url}" \\(line 4\\): url, subdir, ref, resolved, resolvedKind, commit, tree, bundle and provider are missing or malformed`),
    );
    const good = JSON.parse(await readFile((await loadWith(undefined)).lockfile, 'utf8')) as { providers: Record<string, Record<string, unknown>> };
    const { bundle: _, ...withoutBundle } = good.providers[repo.url]!;
    const noBundle = await loadWith(entryOf(repo.url, withoutBundle));
    expect(noBundle.error?.code).toBe('LOCKFILE_CORRUPT');
    expect(noBundle.error?.message).toMatch(/: bundle is missing or malformed; fix or remove this entry \(then `mediaconduit update/);
  });

  it('with an entry whose url, subdir or ref spell another specifier than its key is corrupt, not followed', async () => {
    const good = JSON.parse(await readFile((await loadWith(undefined)).lockfile, 'utf8')) as { providers: Record<string, Record<string, unknown>> };
    for (const change of [{ url: 'file:///elsewhere/provider' }, { subdir: 'packages/other' }, { ref: 'v9.9.9' }]) {
      const { error } = await loadWith(entryOf(repo.url, { ...good.providers[repo.url], ...change }));
      expect(error?.code, JSON.stringify(change)).toBe('LOCKFILE_CORRUPT');
      expect(error?.message).toMatch(/: url, subdir and ref, which spell ".*" instead of the key, (is|are) missing or malformed/);
    }
  });
});

describe('a load that fails', () => {
  it('writes no lockfile entry', async () => {
    const { error, lockfile } = await loadWith(undefined, failing.url);
    expect(error?.code).toBe('PROVIDER_LOAD_FAILED');
    expect(
      await stat(lockfile).then(
        () => 'written',
        () => 'absent',
      ),
    ).toBe('absent');
  });
});
