// What a checkout may hold: links that stay inside it (and inside the provider's folder), and
// regular files. A link that leaves it, or a device, FIFO or socket, is refused before anything
// reads it, naming each, and no message ever quotes a file from outside the checkout.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestRepo, echoProviderFiles, type FileSpec, type TestRepo } from '@mediaconduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, type MediaConduitError, type ProviderRegistryOptions } from '../src/index.js';

const run = promisify(execFile);
const SECRET = 'mc-secret-4f2a9d0c71be';
let work: string;
let secretFile: string;
const repos: TestRepo[] = [];
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-contents-'));
  secretFile = join(work, 'credentials');
  await writeFile(secretFile, `https://x-access-token:${SECRET}@github.com\n`);
});
afterAll(() => Promise.all([...repos.map((repo) => repo.remove()), rm(work, { recursive: true, force: true })]));

async function repoWith(extra: Record<string, FileSpec>, base: Record<string, FileSpec> = echoProviderFiles({ id: 'contents' })): Promise<TestRepo> {
  const repo = await createTestRepo('contents');
  repos.push(repo);
  await repo.commit({ ...base, ...extra });
  return repo;
}

function registry(options: ProviderRegistryOptions = {}) {
  const dir = join(work, `case-${++n}`);
  return createProviderRegistry({ cacheDir: join(dir, 'cache'), lockfile: join(dir, 'lock.json'), env: { GITHUB_TOKEN: SECRET }, ...options });
}

async function failure(promise: Promise<unknown>): Promise<MediaConduitError> {
  return (await promise.then(
    () => {
      throw new Error('expected the load to fail');
    },
    (error: unknown) => error,
  )) as MediaConduitError;
}

/** Everything an error carries, as text: message, details, stack and the messages of its causes. */
function everything(error: MediaConduitError): string {
  const parts: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    parts.push(String((e as Error).message), String((e as Error).stack), JSON.stringify((e as MediaConduitError).details ?? {}));
  }
  return parts.join('\n');
}

describe('links in a checkout', () => {
  it.each([
    ['src/package.json links to /proc/self/environ', { 'src/package.json': { symlink: '/proc/self/environ' } }, 'src/package.json', 'an absolute path'],
    ['the root package.json links to /dev/zero', { 'package.json': { symlink: '/dev/zero' } }, 'package.json', 'an absolute path'],
    ['a relative link climbs out of the checkout', { 'src/creds.ts': { symlink: '../../../../../../../../../../etc/hostname' } }, 'src/creds.ts', 'leads outside the repository'],
    ['a link leads nowhere', { 'src/gone.ts': { symlink: 'missing/nowhere.ts' } }, 'src/gone.ts', 'leads to nothing inside the repository'],
  ])('refused when fetched (%s): UNSAFE_CHECKOUT names the link, for getProvider and prepare alike, and nothing is built', async (_, extra, path, reason) => {
    const repo = await repoWith(extra);
    for (const load of [(r: ReturnType<typeof registry>) => r.getProvider(repo.url), (r: ReturnType<typeof registry>) => r.prepare(repo.url)]) {
      const r = registry();
      const error = await failure(load(r));
      await r.close();
      expect(error.code).toBe('UNSAFE_CHECKOUT');
      expect(error.message).toContain(`${path}: a link to`);
      expect(error.message).toContain(reason);
      expect(everything(error)).not.toContain(SECRET);
      expect(await readdir(join(r.options.cacheDir, 'bundles')).catch(() => [])).toEqual([]);
      expect(await readdir(join(r.options.cacheDir, 'git')).catch(() => [])).toEqual([]);
    }
  });

  it('names every link at once', async () => {
    const repo = await repoWith({ 'a.txt': { symlink: '/etc/hostname' }, 'src/b.ts': { symlink: secretFile }, 'docs/c.md': { symlink: '../../..' } });
    const error = await failure(registry().getProvider(repo.url));
    expect(error.code).toBe('UNSAFE_CHECKOUT');
    expect(error.details.problems).toHaveLength(3);
    for (const path of ['a.txt', 'src/b.ts', 'docs/c.md']) expect(error.message).toContain(`${path}: a link to`);
  });

  it('a link that stays inside, even through another link, loads; one that leaves only when followed is refused', async () => {
    const inside = await repoWith({
      'src/version-link.ts': { symlink: 'version.ts' },
      'src/index.ts': (echoProviderFiles({ id: 'contents' })['src/index.ts'] as string).replace("from './version.js'", "from './version-link.js'"),
    });
    expect((await registry().getProvider(inside.url)).id).toBe('contents');
    // `d` leads to the folder itself (fine); `d/d/../../x`, written, stays inside; followed, it leaves.
    const sneaky = await repoWith({ d: { symlink: '.' }, 'escape.txt': { symlink: 'd/d/../../etc/hostname' } });
    const error = await failure(registry().getProvider(sneaky.url));
    expect(error.code).toBe('UNSAFE_CHECKOUT');
    expect(error.message).toContain('escape.txt: a link to');
  });

  it("a provider folder's links stay inside it: a link to elsewhere in its repository is refused for that provider, not for the others", async () => {
    const files: Record<string, FileSpec> = { 'shared/util.ts': 'export const util = 1;\n' };
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'plain' }))) files[`providers/plain/${path}`] = content;
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'reacher' }))) files[`providers/reacher/${path}`] = content;
    files['providers/reacher/src/util.ts'] = { symlink: '../../../shared/util.ts' };
    const repo = await repoWith({}, files);
    const r = registry();
    expect((await r.getProvider(`${repo.url}//providers/plain`)).id).toBe('plain');
    const error = await failure(r.getProvider(`${repo.url}//providers/reacher`));
    expect(error.code).toBe('UNSAFE_CHECKOUT');
    expect(error.message).toContain('src/util.ts: a link to "../../../shared/util.ts", which leads outside the repository');
  });
});

describe('special files in the cache', () => {
  it('a FIFO dropped into a cached checkout is never opened: the next load fails typed, at once', async () => {
    const repo = await repoWith({});
    const first = registry({ lockfile: false });
    await first.getProvider(repo.url);
    await first.close();
    const cacheDir = first.options.cacheDir;
    await rm(join(cacheDir, 'bundles'), { recursive: true });
    const [urlDir] = await readdir(join(cacheDir, 'git'));
    const [commit] = await readdir(join(cacheDir, 'git', urlDir!));
    const tree = join(cacheDir, 'git', urlDir!, commit!, 'tree');
    await rm(join(tree, 'src/version.ts'));
    await run('mkfifo', [join(tree, 'src/version.ts')]);
    const error = await failure(registry({ cacheDir, lockfile: false }).getProvider(repo.url));
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(error.message).toMatch(/src\/version\.ts: a FIFO, not a file/);
  });

  it('a bundle or record replaced by a link in the cache is refused, never read through', async () => {
    const repo = await repoWith({});
    const first = registry();
    await first.getProvider(repo.url);
    await first.close();
    const cacheDir = first.options.cacheDir;
    const [key] = await readdir(join(cacheDir, 'bundles'));
    const entry = join(cacheDir, 'bundles', key!);
    const bundleFile = (await readdir(entry)).find((f) => f.endsWith('.mjs'))!;
    await rm(join(entry, bundleFile));
    await run('ln', ['-s', '/dev/zero', join(entry, bundleFile)]);
    const error = await failure(registry({ cacheDir, lockfile: first.options.lockfile as string }).getProvider(repo.url));
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(error.message).toMatch(/is a link; only regular files are read; run `mediaconduit cache verify --fix`/);
  });
});

describe('build errors never quote a file from outside the checkout', () => {
  it('a broken package.json of the provider is quoted (it is the provider’s own), with its line', async () => {
    const repo = await repoWith({ 'src/package.json': '{ "type": "module", oops }\n' });
    const error = await failure(registry().getProvider(repo.url));
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toMatch(/src\/package\.json:1:/);
  });

  it('loadProviderFromFolder (no fetch step to refuse the link) shows a linked package.json by name only', async () => {
    const { loadProviderFromFolder } = await import('../src/index.js');
    const folder = join(work, 'folder-provider');
    await mkdir(join(folder, 'src'), { recursive: true });
    for (const [path, content] of Object.entries(echoProviderFiles({ id: 'folder' }))) await writeFile(join(folder, path), content as string);
    await run('ln', ['-s', secretFile, join(folder, 'src/package.json')]);
    const error = (await loadProviderFromFolder(folder, { env: {} }).catch((e: unknown) => e)) as MediaConduitError;
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toMatch(/src\/package\.json could not be read: it is not a regular file of the provider's repository/);
    expect(everything(error)).not.toContain(SECRET);
    expect(everything(error)).not.toContain('x-access-token');
  });
});

describe('glob-style imports never make esbuild list folders outside the checkout', () => {
  // esbuild lists the files below a pattern's folder itself, before any plugin sees one: from the
  // checkout's src/, seven `../` lead to this test's folder, where the credentials file lies.
  const outside = '../../../../../../../';

  it.each([
    ['a template', `String(await import(\`${outside}\${name}\`))`],
    ['a concatenation', `String(require('${outside}' + name))`],
    ['a folded literal', `String(await import(\`\${'${outside}'}\${name}\`))`],
    ['an escaped require', `String(\\u0072equire(\`${outside}\${name}\`))`],
    ['one branch of a condition', `String(await import(name ? \`${outside}\${name}\` : './version.js'))`],
  ])('%s is refused before esbuild reads its folder, naming the pattern and no file there', async (_, expression) => {
    const repo = await repoWith({ 'src/pick.ts': `const name = 'credentials';\nexport const picked = ${expression};\n`, 'src/index.ts': `import './pick.js';\n${echoIndex()}` });
    const error = await failure(registry().getProvider(repo.url));
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toMatch(
      /input src\/pick\.ts: .*a glob-style import (of the folder \.\.\/.*, which lies outside the provider's checkout|whose fixed folder is not written as one literal)/,
    );
    expect(everything(error)).not.toContain('credentials');
    expect(everything(error)).not.toContain(SECRET);
  });

  it('a pattern whose folder is inside the repository builds, with every file it matches', async () => {
    const repo = await repoWith({
      'src/pick.ts': `const name = String(Date.now() % 2);\nexport const picked = import(\`./parts/\${name}.js\`);\n`,
      'src/parts/0.js': 'export default "zero";\n',
      'src/parts/1.js': 'export default "one";\n',
      'src/index.ts': `import './pick.js';\n${echoIndex()}`,
    });
    const r = registry();
    const provider = await r.getProvider(repo.url);
    expect(provider.id).toBe('contents');
    const [bundle] = await readdir(join(work, `case-${n}`, 'cache', 'bundles'), { recursive: true }).then((files) => files.filter((f) => f.endsWith('.mjs')));
    const code = await readFile(join(work, `case-${n}`, 'cache', 'bundles', bundle!), 'utf8');
    expect(code).toContain('"zero"');
    expect(code).toContain('"one"');
    await r.close();
  });
});

/** The echo provider's own entry, to follow an import of the file under test. */
function echoIndex(): string {
  return String(echoProviderFiles({ id: 'contents' })['src/index.ts']);
}
