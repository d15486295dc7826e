import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, MediaConduitError, type ProgressEvent, type ProviderRegistryOptions, type Text } from '../src/index.js';
import { createTestRepo, type TestRepo, echoProviderFiles, startNpmRegistry } from '@mediaconduit/testing';
import { installGitSpy } from './support/git-spy.js';

let repo: TestRepo;
let work: string;
let spy: Awaited<ReturnType<typeof installGitSpy>>;
const commits: Record<string, string> = {};
let counter = 0;

beforeAll(async () => {
  spy = await installGitSpy();
  repo = await createTestRepo('echo');
  commits.initial = await repo.commit(echoProviderFiles({ version: '0.9.0' }), 'initial');
  commits.v100 = await repo.commit(echoProviderFiles({ version: '1.0.0' }), 'v1.0.0');
  await repo.tag('v1.0.0');
  commits.v110 = await repo.commit(echoProviderFiles({ version: '1.1.0' }), '1.1.0');
  await repo.tag('1.1.0', { annotated: true });
  commits.beta = await repo.commit(echoProviderFiles({ version: '2.0.0-beta.1' }), 'beta');
  await repo.tag('v2.0.0-beta.1');
  work = await mkdtemp(join(tmpdir(), 'mc-pipeline-'));
});
afterAll(async () => {
  await repo.remove();
  await rm(work, { recursive: true, force: true });
  await spy.uninstall();
});

/** A registry with its own cache and lockfile, recording progress events. */
function fresh(options: ProviderRegistryOptions = {}, shared?: { cacheDir: string; lockfile: string }) {
  const id = ++counter;
  const events: ProgressEvent[] = [];
  const registry = createProviderRegistry({
    cacheDir: shared?.cacheDir ?? join(work, `cache-${id}`),
    lockfile: shared?.lockfile ?? join(work, `lock-${id}.json`),
    onProgress: (e) => events.push(e),
    logger: { debug() {}, warn() {}, error() {} },
    ...options,
  });
  const done = (phase: ProgressEvent['phase']) => events.filter((e) => e.phase === phase && e.status === 'done').length;
  return { registry, events, done, cacheDir: registry.options.cacheDir, lockfile: registry.options.lockfile as string };
}

async function answer(registry: ReturnType<typeof fresh>['registry'], specifier: string): Promise<string> {
  const provider = await registry.getProvider(specifier);
  const model = await provider.getModel('echo-1', { capability: 'text-to-text' });
  return ((await model.transform('hi')) as Text).text;
}

async function codeOf(promise: Promise<unknown>): Promise<MediaConduitError> {
  try {
    await promise;
  } catch (error) {
    if (MediaConduitError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a MediaConduitError');
}

describe('ref resolution through getProvider', () => {
  it.each([
    ['@v1.0.0', 'v1.0.0'],
    ['@1.1.0', 'v1.1.0'],
    ['@^1', 'v1.1.0'],
    ['@>=1 <2', 'v1.1.0'],
    ['@~1.0.0', 'v1.0.0'],
    ['@^2.0.0-beta', 'v2.0.0-beta.1'],
    ['@main', 'v2.0.0-beta.1'],
    ['', 'v2.0.0-beta.1'],
  ])('%s loads %s', async (ref, expected) => {
    const { registry } = fresh();
    expect(await answer(registry, `${repo.url}${ref}`)).toBe(`hi ${expected}`);
  });

  it('loads full and short commit SHAs, including one no ref points at', async () => {
    const { registry } = fresh();
    expect(await answer(registry, `${repo.url}@${commits.v100}`)).toBe('hi v1.0.0');
    expect(await answer(registry, `${repo.url}@${commits.initial!.slice(0, 9)}`)).toBe('hi v0.9.0');
  });

  it('fails with REF_NOT_FOUND listing tags and branches, never falling back to the default branch', async () => {
    const { registry } = fresh();
    const error = await codeOf(registry.getProvider(`${repo.url}@^3`));
    expect(error.code).toBe('REF_NOT_FOUND');
    expect(error.message).toContain('no tag satisfies the semver range "^3"');
    expect(error.message).toContain('tags: v2.0.0-beta.1, 1.1.0, v1.0.0; branches: main');
    expect((await codeOf(registry.getProvider(`${repo.url}@^2`))).code).toBe('REF_NOT_FOUND');
  });

  it('resolves the default branch and a version tag by one clone each, with no ls-remote, and pins what they resolved to', async () => {
    await spy.reset();
    const { registry, lockfile, events } = fresh();
    expect(await answer(registry, repo.url)).toBe('hi v2.0.0-beta.1');
    expect(await answer(registry, `${repo.url}@v1.0.0`)).toBe('hi v1.0.0');
    const calls = await spy.calls();
    expect(calls.filter((c) => c.startsWith('clone '))).toHaveLength(2);
    expect(calls.filter((c) => c.includes('ls-remote'))).toEqual([]);
    const entries = JSON.parse(await readFile(lockfile, 'utf8')).providers;
    expect(entries[repo.url]).toMatchObject({ resolved: 'main', resolvedKind: 'branch', commit: commits.beta });
    expect(entries[`${repo.url}@v1.0.0`]).toMatchObject({ resolved: 'v1.0.0', resolvedKind: 'tag', commit: commits.v100 });
    expect(events.filter((e) => e.phase === 'resolve').map((e) => e.status)).toEqual(['start', 'done', 'start', 'done']);
  });

  it('a version-like name that is no tag or branch is still a semver range (ls-remote after the clone finds nothing)', async () => {
    const { registry, lockfile } = fresh();
    expect(await answer(registry, `${repo.url}@v1.0`)).toBe('hi v1.0.0');
    expect(JSON.parse(await readFile(lockfile, 'utf8')).providers[`${repo.url}@v1.0`]).toMatchObject({ resolved: 'v1.0.0', resolvedKind: 'tag' });
  });

  it('a name that is both a branch and a tag resolves to the tag, though git clone would take the branch', async () => {
    const clash = await createTestRepo('clash');
    try {
      await clash.commit(echoProviderFiles({ version: '3.0.0' }), 'tagged');
      await clash.tag('v3');
      await clash.commit(echoProviderFiles({ version: '3.1.0' }), 'branch tip');
      await clash.branch('v3');
      for (const name of ['v3', 'release']) {
        if (name === 'release') {
          await clash.git('tag', 'release', 'v3');
          await clash.branch('release');
        }
        const { registry, lockfile, events } = fresh();
        expect(await answer(registry, `${clash.url}@${name}`), name).toBe('hi v3.0.0');
        // (For v3 the clone alone did not settle it; the resolve step is still reported once.)
        expect(events.filter((e) => e.phase === 'resolve').map((e) => e.status)).toEqual(['start', 'done']);
        expect(JSON.parse(await readFile(lockfile, 'utf8')).providers[`${clash.url}@${name}`]).toMatchObject({ resolved: name, resolvedKind: 'tag' });
      }
    } finally {
      await clash.remove();
    }
  });

  it('an empty repository fails with REF_NOT_FOUND saying it has no default branch', async () => {
    const empty = await createTestRepo('empty');
    try {
      const error = await codeOf(fresh().registry.getProvider(empty.url));
      expect(error.code).toBe('REF_NOT_FOUND');
      expect(error.message).toContain('the repository has no default branch (is it empty?)');
    } finally {
      await empty.remove();
    }
  });
});

describe('fetch and cache', () => {
  it('checks out exactly the resolved commit, without .git, and records the tree hash git computes', async () => {
    const { registry, cacheDir, lockfile } = fresh();
    await registry.getProvider(`${repo.url}@v1.0.0`);
    const lock = JSON.parse(await readFile(lockfile, 'utf8'));
    const entry = lock.providers[`${repo.url}@v1.0.0`];
    expect(entry).toMatchObject({ commit: commits.v100, resolved: 'v1.0.0', resolvedKind: 'tag', ref: 'v1.0.0', provider: { id: 'echo', version: '1.0.0' } });
    expect(entry.tree).toBe((await repo.git('rev-parse', `${commits.v100}^{tree}`)).trim());
    const [urlDir] = await readdir(join(cacheDir, 'git'));
    const checkout = join(cacheDir, 'git', urlDir!, commits.v100!);
    expect(await readdir(join(checkout, 'tree'))).not.toContain('.git');
    expect(await readdir(join(cacheDir, 'tmp'))).toEqual([]);
  });

  it('shares one load among 50 concurrent calls: one fetch, one build', async () => {
    const { registry, done } = fresh();
    const providers = await Promise.all(Array.from({ length: 50 }, () => registry.getProvider(`${repo.url}@v1.0.0`)));
    expect(new Set(providers).size).toBe(1);
    expect(done('fetch')).toBe(1);
    expect(done('build')).toBe(1);
    expect(done('resolve')).toBe(1);
  });

  it('shares one instance between spellings of the same specifier', async () => {
    const { registry } = fresh();
    const [a, b] = await Promise.all([registry.getProvider(`${repo.url}@v1.0.0`), registry.getProvider(`file://${repo.dir}/@v1.0.0`)]);
    expect(a).toBe(b);
  });
});

describe('lockfile', () => {
  it('makes warm loads in a new registry use no network and no git process', async () => {
    const first = fresh();
    await first.registry.getProvider(`${repo.url}@^1`);
    await spy.reset();
    const second = fresh({}, { cacheDir: first.cacheDir, lockfile: first.lockfile });
    expect(await answer(second.registry, `${repo.url}@^1`)).toBe('hi v1.1.0');
    expect(await spy.calls()).toEqual([]);
    expect(second.events.map((e) => `${e.phase}:${e.status}`)).toEqual(['build:cached', 'import:start', 'import:done']);
  });

  it('pins an unpinned specifier on first use, even after the branch moves', async () => {
    const scratch = await createTestRepo('moving');
    await scratch.commit(echoProviderFiles({ version: '1.0.0' }));
    const first = fresh();
    expect(await answer(first.registry, scratch.url)).toBe('hi v1.0.0');
    await scratch.commit(echoProviderFiles({ version: '1.0.1' }));
    const second = fresh({}, { cacheDir: first.cacheDir, lockfile: first.lockfile });
    expect(await answer(second.registry, scratch.url)).toBe('hi v1.0.0');
    const result = await second.registry.update(scratch.url);
    expect(result.changed).toBe(true);
    expect(result.before?.commit).not.toBe(result.after.commit);
    expect(await answer(second.registry, scratch.url)).toBe('hi v1.0.1');
    await scratch.remove();
  });

  it('frozen mode refuses to add or change entries', async () => {
    const { registry } = fresh({ frozen: true });
    const error = await codeOf(registry.getProvider(`${repo.url}@v1.0.0`));
    expect(error.code).toBe('LOCKFILE_FROZEN');
    expect(error.message).toMatch(/frozen and has no entry for .*@v1\.0\.0/);
  });

  it('reports a moved tag as INTEGRITY_MISMATCH naming both commits', async () => {
    const scratch = await createTestRepo('tagged');
    const original = await scratch.commit(echoProviderFiles({ version: '1.0.0' }));
    await scratch.tag('v1.0.0');
    const first = fresh();
    await first.registry.getProvider(`${scratch.url}@v1.0.0`);
    const moved = await scratch.commit(echoProviderFiles({ version: '6.6.6' }));
    await scratch.tag('v1.0.0', { force: true });
    // A cold cache must fetch again: the moved tag is detected, not silently re-locked.
    const cold = fresh({}, { cacheDir: join(work, 'moved-cache'), lockfile: first.lockfile });
    const error = await codeOf(cold.registry.getProvider(`${scratch.url}@v1.0.0`));
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(error.message).toContain(original);
    expect(error.message).toContain(moved);
    const update = await codeOf(first.registry.update(`${scratch.url}@v1.0.0`));
    expect(update.code).toBe('INTEGRITY_MISMATCH');
    expect((await first.registry.update(`${scratch.url}@v1.0.0`, { acceptMovedTags: true })).after.commit).toBe(moved);
    await scratch.remove();
  });

  it('reports a tampered bundle as INTEGRITY_MISMATCH naming both hashes', async () => {
    const first = fresh();
    await first.registry.getProvider(`${repo.url}@v1.0.0`);
    const lock = JSON.parse(await readFile(first.lockfile, 'utf8'));
    const expected = lock.providers[`${repo.url}@v1.0.0`].bundle.sha256 as string;
    const bundleDir = join(first.cacheDir, 'bundles', (await readdir(join(first.cacheDir, 'bundles')))[0]!);
    const file = (await readdir(bundleDir)).find((f) => f.endsWith('.mjs'))!;
    await writeFile(join(bundleDir, file), `${await readFile(join(bundleDir, file), 'utf8')}\nglobalThis.pwned = true;\n`);
    const second = fresh({}, { cacheDir: first.cacheDir, lockfile: first.lockfile });
    const error = await codeOf(second.registry.getProvider(`${repo.url}@v1.0.0`));
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(error.message).toContain(expected);
    expect(error.message).toMatch(/hashes to [0-9a-f]{64}/);
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('reports a tampered checkout as INTEGRITY_MISMATCH when it is rebuilt', async () => {
    const first = fresh();
    await first.registry.getProvider(`${repo.url}@v1.0.0`);
    await rm(join(first.cacheDir, 'bundles'), { recursive: true });
    const [urlDir] = await readdir(join(first.cacheDir, 'git'));
    await writeFile(join(first.cacheDir, 'git', urlDir!, commits.v100!, 'tree/src/version.ts'), "export const VERSION = 'evil';\n");
    const second = fresh({}, { cacheDir: first.cacheDir, lockfile: first.lockfile });
    const error = await codeOf(second.registry.getProvider(`${repo.url}@v1.0.0`));
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    const lock = JSON.parse(await readFile(first.lockfile, 'utf8'));
    expect(error.message).toContain(lock.providers[`${repo.url}@v1.0.0`].tree);
  });
});

describe('offline', () => {
  it('serves a pinned, cached provider and says clearly what is not cached', async () => {
    const online = fresh();
    await online.registry.getProvider(`${repo.url}@v1.0.0`);
    await spy.reset();
    const offline = fresh({ offline: true }, { cacheDir: online.cacheDir, lockfile: join(work, 'offline-empty.json') });
    expect(await answer(offline.registry, `${repo.url}@v1.0.0`)).toBe('hi v1.0.0');
    const missing = await codeOf(offline.registry.getProvider(`${repo.url}@1.1.0`));
    expect(missing.code).toBe('NOT_CACHED');
    expect(missing.message).toMatch(/offline, and this ref was never resolved on this machine/);
    expect(await spy.calls()).toEqual([]);
  });
});

describe('subfolders, manifests and builds', () => {
  let mono: TestRepo;
  let outside: string;
  beforeAll(async () => {
    mono = await createTestRepo('mono');
    outside = await mkdtemp(join(tmpdir(), 'mc-outside-'));
    await writeFile(join(outside, 'secret.ts'), 'export const secret = 1;');
    const files: Record<string, Parameters<TestRepo['commit']>[0][string]> = { 'README.md': '# mono\n', 'shared/greeting.ts': "export const greeting = 'shared';\n" };
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'a' }))) files[`providers/a/${path}`] = content;
    for (const [path, content] of Object.entries(
      echoProviderFiles({ id: 'uses-shared', extra: "import { greeting } from '../../../shared/greeting.js'; console.debug(greeting);" }),
    ))
      files[`providers/shared-user/${path}`] = content;
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'escape', extra: `import { secret } from '${join(outside, 'secret.js')}'; console.debug(secret);` })))
      files[`providers/escape/${path}`] = content;
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'broken', extra: 'const x = ;' }))) files[`providers/broken/${path}`] = content;
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'throws', extra: "throw new Error('boom at import');" }))) files[`providers/throws/${path}`] = content;
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'future', contract: '^9.0.0' }))) files[`providers/future/${path}`] = content;
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'init-fails' }))) files[`providers/init-fails/${path}`] = content;
    files['providers/init-fails/src/index.ts'] = (files['providers/init-fails/src/index.ts'] as string).replace(
      'isAvailable() { return true; },',
      "isAvailable() { return true; },\n    async initialize() { throw new Error('cannot reach the device'); },",
    );
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'liar', capabilities: ['text-to-text', 'text-to-image'], implemented: ['text-to-text'] })))
      files[`providers/liar/${path}`] = content;
    files['providers/badyaml/MediaConduit.provider.yml'] = 'id: Bad Id\nname: x\nversion: 1\ntype: remote\ncapabilities: [text-to-vid]\ncore: "^0.1.0"\n';
    await mono.commit(files);
  });
  afterAll(async () => {
    await mono.remove();
    await rm(outside, { recursive: true, force: true });
  });
  const spec = (dir: string) => `${mono.url}//providers/${dir}`;

  it('loads a provider from a subfolder, which may import files elsewhere in its repository', async () => {
    const { registry } = fresh();
    expect(await answer(registry, spec('a'))).toBe('hi v1.0.0');
    expect((await registry.getProvider(spec('shared-user'))).id).toBe('uses-shared');
  });

  it.each([
    ['escape', 'BUILD_FAILED', /secret\.ts lies outside the provider's checkout/],
    ['broken', 'BUILD_FAILED', /providers\/broken\/src\/index\.ts:3:11: Unexpected ";"/],
    ['throws', 'PROVIDER_LOAD_FAILED', /threw while being imported: boom at import/],
    [
      'future',
      'INCOMPATIBLE_PROVIDER',
      /is written for the provider contract \^9\.0\.0 \(its manifest's "contract"\), but this host runs @mediaconduit\/provider 0\.1\.0; upgrade/,
    ],
    ['init-fails', 'PROVIDER_LOAD_FAILED', /initialize\(\) failed: cannot reach the device/],
    ['liar', 'INCOMPATIBLE_PROVIDER', /declares text-to-image in the manifest but does not implement it/],
    ['badyaml', 'INVALID_MANIFEST', /line 1, id: must be lower-case[\s\S]*line 3, version[\s\S]*line 5, capabilities\.0: unknown capability "text-to-vid"/],
    ['missing', 'INVALID_MANIFEST', /folder "providers\/missing" does not exist/],
  ])('%s fails with %s, and the registry keeps working', async (dir, code, message) => {
    const { registry } = fresh();
    const error = await codeOf(registry.getProvider(spec(dir)));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(await answer(registry, spec('a'))).toBe('hi v1.0.0');
  });

  it('lists loaded providers and finds models by capability across them', async () => {
    const { registry } = fresh();
    await registry.getProvider(spec('a'));
    await registry.getProvider(spec('shared-user'));
    expect(
      registry
        .listProviders()
        .map((p) => p.id)
        .sort(),
    ).toEqual(['a', 'uses-shared']);
    const found = await registry.findModels('text-to-text');
    expect(found.map((f) => f.provider.id).sort()).toEqual(['a', 'uses-shared']);
    expect(await registry.findModels('text-to-image')).toEqual([]);
  });
});

describe('provider ids', () => {
  it('refuses a second repository claiming a loaded provider id; the same repository with other settings, or at another version, shares it', async () => {
    const twin = await createTestRepo('twin');
    try {
      await twin.commit(echoProviderFiles({ id: 'echo', version: '9.9.9' }));
      const { registry } = fresh();
      const first = await registry.getProvider(`${repo.url}@v1.0.0`);
      await registry.getProvider(`${repo.url}@v1.0.0`, { config: { other: 'settings' } });
      await registry.getProvider(`${repo.url}@1.1.0`);
      const error = await codeOf(registry.getProvider(twin.url));
      expect(error.code).toBe('PROVIDER_LOAD_FAILED');
      expect(error.message).toMatch(/its provider id "echo" is already taken by file:\/\/.*\/echo@v1\.0\.0, loaded in this registry/);
      expect(error.details).toMatchObject({ id: 'echo' });
      expect(registry.listProviders().map((p) => p.provider)).toContain(first);
      expect(registry.listProviders()).toHaveLength(3);
      // Another registry keeps its own ids.
      expect((await fresh().registry.getProvider(twin.url)).id).toBe('echo');
    } finally {
      await twin.remove();
    }
  });
});

describe('provider dependencies', () => {
  it('installs npm dependencies from the provider lockfile with install scripts disabled', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const dep = await mkdtemp(join(tmpdir(), 'mc-dep-'));
    await writeFile(
      join(dep, 'package.json'),
      JSON.stringify({
        name: 'tiny-dep',
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        scripts: { postinstall: "node -e \"require('fs').writeFileSync(process.env.HOME + '/mc-postinstall-ran', '1')\"" },
      }),
    );
    await writeFile(join(dep, 'index.js'), "export const shout = (s) => s.toUpperCase() + '!';\n");
    const npm = await startNpmRegistry({ packages: [{ folder: dep }] });
    const provider = await createTestRepo('with-deps');
    const files = echoProviderFiles({ id: 'deps', extra: "import { shout } from 'tiny-dep'; const SHOUT = shout('hi');" });
    files['src/index.ts'] = (files['src/index.ts'] as string).replace("String(input) + ' v' + VERSION", "SHOUT + ' v' + VERSION");
    files['package.json'] = JSON.stringify({
      name: 'deps-provider',
      version: '1.0.0',
      type: 'module',
      dependencies: { 'tiny-dep': '^1.0.0' },
      peerDependencies: { '@mediaconduit/provider': '^0.1.0' },
    });
    await provider.commit(files);
    // The lockfile points at the loopback registry, as a real one points at the public registry.
    // (Asynchronously: the registry answers from this process.)
    await promisify(execFile)('npm', ['install', '--package-lock-only', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund', '--silent', '--registry', npm.url], {
      cwd: provider.dir,
      env: { ...process.env, npm_config_userconfig: '/dev/null', npm_config_cache: join(dep, 'npm-cache') },
    });
    await provider.commit({}, 'lockfile');
    const home = await mkdtemp(join(tmpdir(), 'mc-home-'));
    const previousHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const { registry, done } = fresh({ npmRegistry: npm.url });
      expect(await answer(registry, provider.url)).toBe('HI! v1.0.0');
      expect(done('install')).toBe(1);
      await expect(stat(join(home, 'mc-postinstall-ran'))).rejects.toThrow();
    } finally {
      process.env.HOME = previousHome;
      await npm.close();
      await provider.remove();
      await rm(dep, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses dependencies without a lockfile, saying how to fix it', async () => {
    const provider = await createTestRepo('no-lock');
    await provider.commit({ ...echoProviderFiles(), 'package.json': JSON.stringify({ name: 'x', version: '1.0.0', dependencies: { 'left-pad': '^1.3.0' } }) });
    const { registry } = fresh();
    const error = await codeOf(registry.getProvider(provider.url));
    expect(error.code).toBe('INSTALL_FAILED');
    expect(error.message).toMatch(/no package-lock\.json; run "npm install --package-lock-only" in the provider and commit the lockfile/);
    await provider.remove();
  });
});

describe('untrusted repositories', () => {
  it('does not fetch submodules', async () => {
    const inner = await createTestRepo('inner');
    await inner.commit({ 'secret.txt': 'should not be fetched\n' });
    const outer = await createTestRepo('outer');
    await outer.commit(echoProviderFiles({ id: 'with-submodule' }));
    await outer.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '--quiet', inner.url, 'vendor/inner');
    await outer.git('commit', '--quiet', '-m', 'add submodule');
    const { registry, cacheDir } = fresh();
    expect((await registry.getProvider(outer.url)).id).toBe('with-submodule');
    const [urlDir] = await readdir(join(cacheDir, 'git'));
    const [commit] = await readdir(join(cacheDir, 'git', urlDir!));
    expect(await readdir(join(cacheDir, 'git', urlDir!, commit!, 'tree', 'vendor', 'inner'))).toEqual([]);
    await Promise.all([inner.remove(), outer.remove()]);
  });
});

describe('commit pins', () => {
  it('needs no ls-remote for a full SHA, and a missing SHA is REF_NOT_FOUND', async () => {
    await spy.reset();
    const { registry, events } = fresh();
    expect(await answer(registry, `${repo.url}@${commits.v110}`)).toBe('hi v1.1.0');
    expect((await spy.calls()).some((c) => c.includes('ls-remote'))).toBe(false);
    expect(events.find((e) => e.phase === 'resolve')?.status).toBe('cached');
    const missing = await codeOf(registry.getProvider(`${repo.url}@${'0'.repeat(40)}`));
    expect(missing.code).toBe('REF_NOT_FOUND');
    expect(missing.message).toMatch(/commit 0{40} does not exist there/);
  });
});
