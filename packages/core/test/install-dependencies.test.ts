// Installing a provider's dependencies runs nothing the provider chose: no npm configuration
// from the repository, no host environment, only registry tarballs with an integrity.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestRepo, echoProviderFiles, type NpmRegistry, startNpmRegistry, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, type MediaConduitError, type ProviderRegistryOptions } from '../src/index.js';

const run = promisify(execFile);
let work: string;
let npm: NpmRegistry;
const repos: TestRepo[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-install-'));
  const dep = join(work, 'tiny-dep');
  await run('mkdir', ['-p', dep]);
  await writeFile(join(dep, 'package.json'), JSON.stringify({ name: 'tiny-dep', version: '1.2.0', type: 'module', main: 'index.js' }));
  await writeFile(join(dep, 'index.js'), "export const shout = (s) => s.toUpperCase() + '!';\n");
  npm = await startNpmRegistry({ packages: [{ folder: dep }] });
});
afterAll(async () => {
  await npm.close();
  await Promise.all([...repos.map((repo) => repo.remove()), rm(work, { recursive: true, force: true })]);
});

/** A provider using `tiny-dep`, with the given package.json dependencies and lockfile. */
async function providerWith(dependencies: Record<string, string>, lock: object, extra: Record<string, string> = {}): Promise<TestRepo> {
  const repo = await createTestRepo('with-deps');
  repos.push(repo);
  const files = echoProviderFiles({ id: 'deps', extra: "import { shout } from 'tiny-dep'; const SHOUT = shout('hi');" });
  files['src/index.ts'] = (files['src/index.ts'] as string).replace("String(input) + ' v' + VERSION", "SHOUT + ' v' + VERSION");
  await repo.commit({
    ...files,
    'package.json': JSON.stringify({ name: 'deps', version: '1.0.0', type: 'module', dependencies }),
    'package-lock.json': JSON.stringify(lock),
    ...extra,
  });
  return repo;
}

const tinyLock = (entry: object) => ({
  name: 'deps',
  lockfileVersion: 3,
  requires: true,
  packages: { '': { dependencies: { 'tiny-dep': '^1.2.0' } }, 'node_modules/tiny-dep': entry },
});
const integrity = async () => {
  const { createHash } = await import('node:crypto');
  const bytes = Buffer.from(await (await fetch(`${npm.url}/tiny-dep/-/tiny-dep-1.2.0.tgz`)).arrayBuffer());
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
};

async function load(repo: TestRepo, options: ProviderRegistryOptions = {}) {
  const registry = createProviderRegistry({ cacheDir: join(work, `cache-${repos.length}-${Math.random()}`), lockfile: false, env: {}, npmRegistry: npm.url, ...options });
  try {
    const provider = await registry.getProvider(repo.url);
    return (await (await provider.getModel('echo-1', { capability: 'text-to-text' })).transform('x')).text;
  } catch (error) {
    return error as MediaConduitError;
  } finally {
    await registry.close();
  }
}

describe("installing a provider's dependencies", () => {
  it('fetches a registry tarball named by the lockfile, checks its integrity and unpacks it, in this process', async () => {
    const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', resolved: `${npm.url}/tiny-dep/-/tiny-dep-1.2.0.tgz`, integrity: await integrity() }));
    expect(await load(repo)).toBe('HI! v1.0.0');
  });

  it('takes the tarball from the registry when the lockfile leaves out the URL, and says how to name a registry when none is known', async () => {
    const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', integrity: await integrity() }));
    expect(await load(repo, { npmRegistry: npm.url })).toBe('HI! v1.0.0');
  });

  it('refuses git, file:, link: and URL dependencies, and packages without integrity, naming each, and runs nothing', async () => {
    const marker = join(work, 'evil-ran');
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': {},
        'node_modules/from-git': { version: '1.0.0', resolved: 'git+file:///srv/evil.git#abc', integrity: 'sha512-AAAA' },
        'node_modules/from-file': { version: '1.0.0', resolved: 'file:vendor/x.tgz', integrity: 'sha512-AAAA' },
        'node_modules/linked': { resolved: '../linked', link: true },
        'node_modules/from-url': { version: '1.0.0', resolved: 'https://example.invalid/archive/main', integrity: 'sha512-AAAA' },
        'node_modules/no-integrity': { version: '1.0.0', resolved: `${npm.url}/tiny-dep/-/tiny-dep-1.2.0.tgz` },
        'node_modules/elsewhere': { version: '1.0.0', resolved: 'http://127.0.0.1:9/elsewhere/-/elsewhere-1.0.0.tgz', integrity: 'sha512-AAAA' },
      },
    };
    // The repository's own npm configuration would run its script through git; it is never read.
    const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, lock, {
      '.npmrc': `git=./evil.sh\ncache=${join(work, 'outside-cache')}\n`,
      'evil.sh': `#!/bin/sh\ntouch ${marker}\n`,
    });
    const error = (await load(repo)) as MediaConduitError;
    expect(error.code).toBe('INSTALL_FAILED');
    for (const name of ['from-git', 'from-file', 'linked', 'from-url', 'no-integrity', 'elsewhere']) expect(error.message).toMatch(new RegExp(`- ${name}: `));
    expect(error.message).toMatch(/git, file:, link: and URL dependencies are not installed/);
    expect(error.message).toMatch(/- elsewhere: "http:\/\/127\.0\.0\.1:9\/elsewhere\/-\/elsewhere-1\.0\.0\.tgz" is not a tarball of the registry http:\/\/127\.0\.0\.1:\d+ /);
    expect(
      await stat(marker).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    expect(
      await stat(join(work, 'outside-cache')).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });

  it("refuses a tarball whose bytes differ from the lockfile's integrity", async () => {
    const wrong = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', resolved: `${npm.url}/tiny-dep/-/tiny-dep-1.2.0.tgz`, integrity: wrong }));
    const error = (await load(repo)) as MediaConduitError;
    expect(error.code).toBe('INSTALL_FAILED');
    expect(error.message).toMatch(/tiny-dep: the tarball does not match the lockfile's integrity/);
  });

  it("never reads the repository's .npmrc, even for the registry, and never runs npm", async () => {
    const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', integrity: await integrity() }), { '.npmrc': 'registry=http://127.0.0.1:9/\n' });
    // An npm on PATH that leaves a mark if anything runs it.
    const spyDir = join(work, 'npm-spy');
    await run('mkdir', ['-p', spyDir]);
    await writeFile(join(spyDir, 'npm'), `#!/bin/sh\ntouch ${join(spyDir, 'ran')}\nexit 1\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${spyDir}:${path}`;
    try {
      expect(await load(repo, { npmRegistry: npm.url })).toBe('HI! v1.0.0');
    } finally {
      process.env.PATH = path;
    }
    expect(
      await stat(join(spyDir, 'ran')).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });

  it('gives up with TIMEOUT when a tarball never arrives, within installTimeoutMs', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/tiny-dep/-/tiny-dep-1.2.0.tgz`;
      const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', resolved: url, integrity: await integrity() }));
      const registry = createProviderRegistry({ cacheDir: join(work, 'cache-stall'), lockfile: false, env: {}, installTimeoutMs: 300, npmRegistry: new URL(url).origin });
      const error = (await registry.getProvider(repo.url).catch((e: unknown) => e)) as MediaConduitError;
      await registry.close();
      expect(error.code).toBe('TIMEOUT');
      expect(error.message).toMatch(/install .*: the dependencies were not installed within 300 ms; raise the `installTimeoutMs` option/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('update() runs no program the provider controls either', async () => {
    const marker = join(work, 'update-ran');
    const repo = await providerWith(
      { 'from-git': 'git+file:///srv/evil.git' },
      { lockfileVersion: 3, packages: { '': {}, 'node_modules/from-git': { version: '1.0.0', resolved: 'git+file:///srv/evil.git#abc' } } },
      {
        '.npmrc': 'git=./evil.sh\n',
        'evil.sh': `#!/bin/sh\ntouch ${marker}\n`,
      },
    );
    const registry = createProviderRegistry({ cacheDir: join(work, 'cache-update'), lockfile: join(work, 'update-lock.json'), env: {} });
    const error = (await registry.update(repo.url).catch((e: unknown) => e)) as MediaConduitError;
    await registry.close();
    expect(error.code).toBe('INSTALL_FAILED');
    expect(
      await stat(marker).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    expect(await readdir(join(work, 'cache-update/deps')).catch(() => [])).toEqual([]);
  });
});

describe('dependencies come from the registry and nowhere else', () => {
  it('refuses dependencies named by URL, Git repository or path in package.json, naming each, before fetching anything', async () => {
    const locked = await integrity();
    const before = npm.requests.length;
    const repo = await providerWith(
      {
        'tiny-dep': 'http://127.0.0.1:9/tiny-dep-1.2.0.tgz',
        'from-git': 'git+https://example.invalid/x.git',
        shorthand: 'someone/some-repo',
        'from-file': 'file:../vendor',
        aliased: 'npm:tiny-dep@^1.2.0',
      },
      tinyLock({ version: '1.2.0', resolved: 'http://127.0.0.1:9/tiny-dep-1.2.0.tgz', integrity: locked }),
    );
    const error = (await load(repo)) as MediaConduitError;
    expect(error.code).toBe('INSTALL_FAILED');
    for (const name of ['tiny-dep', 'from-git', 'shorthand', 'from-file']) expect(error.message).toMatch(new RegExp(`- ${name}: "`));
    expect(error.message).not.toMatch(/- aliased:/);
    expect(error.message).toMatch(/only versions and ranges from the npm registry are installed/);
    expect(npm.requests.length).toBe(before);
  });

  it('follows no redirect to another origin', async () => {
    const { createServer } = await import('node:http');
    const bounce = createServer((req, res) => res.writeHead(302, { location: `${npm.url}${req.url}` }).end());
    await new Promise<void>((resolve) => bounce.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `http://127.0.0.1:${(bounce.address() as { port: number }).port}`;
      const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', resolved: `${origin}/tiny-dep/-/tiny-dep-1.2.0.tgz`, integrity: await integrity() }));
      const error = (await load(repo, { npmRegistry: origin })) as MediaConduitError;
      expect(error.code).toBe('INSTALL_FAILED');
      expect(error.message).toMatch(/refusing to fetch http:\/\/127\.0\.0\.1:\d+\/tiny-dep\/-\/tiny-dep-1\.2\.0\.tgz: it is not on the registry/);
    } finally {
      await new Promise((resolve) => bounce.close(resolve));
    }
  });
});

describe('install limits', () => {
  let bomb: NpmRegistry;
  beforeAll(async () => {
    // A tarball of a few KB that unpacks to 3 MB of zeros, and one with 3 files of 1 MB.
    const folder = join(work, 'bomb');
    await run('mkdir', ['-p', folder]);
    await writeFile(join(folder, 'package.json'), JSON.stringify({ name: 'bomb', version: '1.0.0', type: 'module', main: 'index.js' }));
    await writeFile(join(folder, 'index.js'), 'export const boom = 1;\n');
    await writeFile(join(folder, 'zeros.bin'), Buffer.alloc(3 * 1024 * 1024));
    bomb = await startNpmRegistry({ packages: [{ folder }, { folder: join(work, 'tiny-dep') }] });
  });
  afterAll(() => bomb.close());

  const bombLock = async () => {
    const { createHash } = await import('node:crypto');
    const entry = async (name: string, version: string) => {
      const url = `${bomb.url}/${name}/-/${name}-${version}.tgz`;
      const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
      return { version, resolved: url, integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` };
    };
    return {
      name: 'deps',
      lockfileVersion: 3,
      packages: { '': {}, 'node_modules/bomb': await entry('bomb', '1.0.0'), 'node_modules/tiny-dep': await entry('tiny-dep', '1.2.0') },
    };
  };

  it.each([
    ['maxPackageBytes', { maxPackageBytes: 1024 * 1024 }, /bomb unpacks to more than 1048576 bytes \(maxPackageBytes\)/],
    ['maxInstallBytes', { maxInstallBytes: 2 * 1024 * 1024 }, /the dependencies unpack to more than 2097152 bytes \(maxInstallBytes\)/],
    ['maxPackages', { maxPackages: 1 }, /the lockfile lists 2 packages to install; the limit is 1 \(maxPackages\)/],
  ])('%s: LIMIT_EXCEEDED naming the option, and no entry is left in the cache', async (_, limits, message) => {
    const repo = await providerWith({ bomb: '^1.0.0', 'tiny-dep': '^1.2.0' }, await bombLock());
    const cacheDir = join(work, `cache-limits-${Math.random()}`);
    const error = (await load(repo, { npmRegistry: bomb.url, cacheDir, ...limits })) as MediaConduitError;
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(message);
    expect(await readdir(join(cacheDir, 'deps')).catch(() => [])).toEqual([]);
  });
});

describe('a cache inside an application folder', () => {
  // The default cache is `./cache`: its checkouts sit below the application's own node_modules.
  async function appWith(packages: Record<string, string>): Promise<string> {
    const app = await mkdtemp(join(work, 'app-'));
    for (const [name, source] of Object.entries(packages)) {
      await mkdir(join(app, 'node_modules', name), { recursive: true });
      await writeFile(join(app, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '9.9.9', type: 'module', main: 'index.js' }));
      await writeFile(join(app, 'node_modules', name, 'index.js'), source);
    }
    return app;
  }

  it("builds with the provider's installed dependency, not the application's copy of the same package", async () => {
    const app = await appWith({ 'tiny-dep': "export const shout = () => 'the application copy';\n" });
    const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', resolved: `${npm.url}/tiny-dep/-/tiny-dep-1.2.0.tgz`, integrity: await integrity() }));
    expect(await load(repo, { cacheDir: join(app, 'cache') })).toBe('HI! v1.0.0');
  });

  it("builds a provider without a package.json the same wherever the cache is: the application's package.json does not apply to it", async () => {
    const app = await appWith({});
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'commonjs', sideEffects: false }));
    const repo = await createTestRepo('no-package-json');
    repos.push(repo);
    const files = echoProviderFiles({ id: 'no-package-json', extra: "import './register.js';" });
    files['src/register.ts'] = "(globalThis as Record<string, unknown>).__registered = 'registered';\n";
    files['src/index.ts'] = (files['src/index.ts'] as string).replace(
      "String(input) + ' v' + VERSION",
      "String((globalThis as Record<string, unknown>).__registered) + ' v' + VERSION",
    );
    delete files['package.json'];
    await repo.commit(files);
    expect(await load(repo, { cacheDir: join(app, 'cache') })).toBe('registered v1.0.0');
  });

  it('leaves an optional require() of a package found nowhere to fail at run time, inside its try block', async () => {
    const app = await appWith({});
    const repo = await createTestRepo('optional');
    repos.push(repo);
    const files = echoProviderFiles({ id: 'optional', extra: "let OPTIONAL = 'absent'; try { OPTIONAL = require('absent-optional').name; } catch {}" });
    files['src/index.ts'] = (files['src/index.ts'] as string).replace("String(input) + ' v' + VERSION", "OPTIONAL + ' v' + VERSION");
    await repo.commit(files);
    expect(await load(repo, { cacheDir: join(app, 'cache') })).toBe('absent v1.0.0');
  });

  it('refuses a package the provider does not declare, even when the application has it, naming it', async () => {
    const app = await appWith({ 'not-declared': "export const x = 'the application copy';\n" });
    const repo = await createTestRepo('undeclared');
    repos.push(repo);
    const files = echoProviderFiles({ id: 'undeclared', extra: "import { x } from 'not-declared'; const X = x;" });
    files['src/index.ts'] = (files['src/index.ts'] as string).replace("String(input) + ' v' + VERSION", "X + ' v' + VERSION");
    await repo.commit(files);
    const error = await load(repo, { cacheDir: join(app, 'cache') });
    expect(error).toMatchObject({ code: 'BUILD_FAILED' });
    expect((error as MediaConduitError).message).toMatch(
      /"not-declared" is not among the provider's installed dependencies; add it to its package\.json "dependencies" and its package-lock\.json \(npm install not-declared\)/,
    );
    expect((error as MediaConduitError).message).not.toContain(app);
  });
});

describe('installed dependencies edited in the cache', () => {
  async function loadedOnce(lockfile: string | false) {
    const repo = await providerWith({ 'tiny-dep': '^1.2.0' }, tinyLock({ version: '1.2.0', resolved: `${npm.url}/tiny-dep/-/tiny-dep-1.2.0.tgz`, integrity: await integrity() }));
    const cacheDir = join(work, `cache-edit-${Math.random()}`);
    const first = createProviderRegistry({ cacheDir, lockfile, env: {}, npmRegistry: npm.url });
    await first.getProvider(repo.url);
    await first.close();
    // What `cache prune` or a cleanup may do: the bundle goes, so the next load builds again.
    await rm(join(cacheDir, 'bundles'), { recursive: true });
    const [deps] = await readdir(join(cacheDir, 'deps'));
    const marker = join(work, `deps-ran-${Math.random()}`);
    const evil = `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'ran');\nexport const shout = (s) => s;\n`;
    return { repo, cacheDir, entry: join(cacheDir, 'deps', deps!), marker, evil };
  }
  const ran = (marker: string) =>
    stat(marker).then(
      () => true,
      () => false,
    );

  it.each([
    ['with a frozen lockfile', true],
    ['with a lockfile, not frozen', false],
  ])('never run, %s: INTEGRITY_MISMATCH names both hashes, and the lockfile keeps its pin', async (_, frozen) => {
    const lockfile = join(work, `deps-lock-${Math.random()}.json`);
    const { repo, cacheDir, entry, marker, evil } = await loadedOnce(lockfile);
    const pinned = await readFile(lockfile, 'utf8');
    await writeFile(join(entry, 'node_modules/tiny-dep/index.js'), evil);
    const registry = createProviderRegistry({ cacheDir, lockfile, frozen, env: {}, npmRegistry: npm.url });
    const error = (await registry.getProvider(repo.url).catch((e: unknown) => e)) as MediaConduitError;
    await registry.close();
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(error.message).toMatch(/the cached dependencies .* were modified: they were installed as tree [0-9a-f]{40} but their files now hash to [0-9a-f]{40}/);
    expect(await ran(marker)).toBe(false);
    expect(await readFile(lockfile, 'utf8')).toBe(pinned);
  });

  it('never run when the edit rewrites the record too: the rebuilt bundle differs from the one the lockfile pins', async () => {
    const lockfile = join(work, `deps-lock-${Math.random()}.json`);
    const { repo, cacheDir, entry, marker, evil } = await loadedOnce(lockfile);
    const pinned = await readFile(lockfile, 'utf8');
    await writeFile(join(entry, 'node_modules/tiny-dep/index.js'), evil);
    const { gitTreeHash } = await import('../src/git/tree-hash.js');
    const record = JSON.parse(await readFile(join(entry, 'record.json'), 'utf8'));
    await writeFile(join(entry, 'record.json'), JSON.stringify({ ...record, tree: await gitTreeHash(join(entry, 'node_modules'), { root: entry }) }));
    const registry = createProviderRegistry({ cacheDir, lockfile, env: {}, npmRegistry: npm.url });
    const error = (await registry.getProvider(repo.url).catch((e: unknown) => e)) as MediaConduitError;
    await registry.close();
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(error.message).toMatch(/the bundle built now hashes to [0-9a-f]{64}, but the lockfile pins [0-9a-f]{64} for the same commit and build settings/);
    expect(await ran(marker)).toBe(false);
    expect(await readFile(lockfile, 'utf8')).toBe(pinned);
  });

  it('never run without a lockfile either (the record is checked), and cache verify finds it', async () => {
    const { repo, cacheDir, entry, marker, evil } = await loadedOnce(false);
    await writeFile(join(entry, 'node_modules/tiny-dep/index.js'), evil);
    const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {}, npmRegistry: npm.url });
    const error = (await registry.getProvider(repo.url).catch((e: unknown) => e)) as MediaConduitError;
    await registry.close();
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(await ran(marker)).toBe(false);
    const { verifyCache } = await import('../src/index.js');
    expect((await verifyCache(cacheDir)).problems).toEqual([expect.objectContaining({ path: entry, message: expect.stringMatching(/^dependencies: expected tree/) })]);
  });
});
