// MediaConduit as a dependency: every package is packed with `pnpm pack` and installed with npm
// into a fresh application outside this repository, with no workspace links. Two loopback
// registries stand in for the public one, serving the third-party dependencies from this
// workspace's store: `today` has no MediaConduit package (the tarball route of the README must
// work as it is now), `published` also serves the tarballs (a provider author's `npm install`
// once the packages are published).
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPng, createTestRepo, echoProviderFiles, startNpmRegistry, type NpmRegistry } from '@mediaconduit/testing';
import { dependencyFolders } from './support/dependency-folders.js';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['provider', 'core', 'testing', 'cli', 'mock-provider', 'together-provider', 'fal-provider'];
let work: string;
let app: string;
let today: NpmRegistry;
let published: NpmRegistry;
const tarballs: Record<string, string> = {};
let appInstallRequests: string[] = [];

/** npm with its own cache and an empty user config, no audit, no update check, only a loopback registry. */
function npmEnv(registry: NpmRegistry): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)));
  return {
    ...env,
    npm_config_registry: registry.url,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_userconfig: join(work, 'npmrc'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
  };
}
const run = (command: string, args: string[], cwd: string, registry = published) => exec(command, args, { cwd, env: npmEnv(registry), maxBuffer: 32 * 1024 * 1024 });
const mediaconduit = (args: string[], cwd = app) => run(join(app, 'node_modules/.bin/mediaconduit'), args, cwd);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-outside-'));
  await writeFile(join(work, 'npmrc'), '');
  const packed = join(work, 'tarballs');
  for (const name of PACKAGES) {
    const { stdout } = await exec('pnpm', ['pack', '--pack-destination', packed], { cwd: join(repoRoot, 'packages', name) });
    tarballs[name] = stdout.trim().split('\n').pop()!.trim();
  }
  // The application's compiler and the small dependency a provider author installs come from the store too.
  const tools = ['typescript', '@types/node', 'yallist'].map(
    (name) => [join(repoRoot, 'node_modules', name), join(repoRoot, 'node_modules/.pnpm/node_modules', name)].find((dir) => existsSync(dir))!,
  );
  const { folders: thirdParty, absentOptional } = dependencyFolders(
    [...['core', 'testing', 'cli', 'fal-provider'].map((name) => join(repoRoot, 'packages', name)), ...tools],
    (name) => name.startsWith('@mediaconduit/'),
  );
  const folders = new Set([...tools.map((dir) => realpathSync(dir)), ...thirdParty]);
  const storePackages = [...[...folders].map((folder) => ({ folder })), ...absentOptional.map((otherPlatform) => ({ otherPlatform }))];
  today = await startNpmRegistry({ packages: storePackages });
  published = await startNpmRegistry({ packages: [...Object.values(tarballs).map((tarball) => ({ tarball })), ...storePackages] });
  app = join(work, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'outside-app', private: true, type: 'module' }));
  await run('npm', ['install', ...PACKAGES.map((name) => tarballs[name]!), 'typescript@5.9.3', '@types/node@20'], app, today);
  appInstallRequests = [...today.requests];
}, 240_000);

afterAll(async () => {
  await today?.close();
  await published?.close();
  await rm(work, { recursive: true, force: true });
});

describe('installed from tarballs into an application outside the repository', () => {
  it('installs real copies, not workspace links, with compiled JavaScript and types only', async () => {
    const installed = await readdir(join(app, 'node_modules/@mediaconduit'));
    expect(installed.sort()).toEqual(['cli', 'core', 'fal-provider', 'mock-provider', 'provider', 'testing', 'together-provider']);
    // The registry had no MediaConduit package (npm asked for some and got 404s): the tarballs satisfied each other.
    expect(today.packages.filter((name) => name.startsWith('@mediaconduit/'))).toEqual([]);
    expect(appInstallRequests).toEqual(expect.arrayContaining(['/esbuild', '/tar', '/undici']));
    // zod is bundled into core (dist/THIRD-PARTY-LICENSES.md names it): nothing installs it.
    expect(appInstallRequests).not.toContain('/zod');
    expect(await readFile(join(app, 'node_modules/@mediaconduit/core/dist/THIRD-PARTY-LICENSES.md'), 'utf8')).toMatch(/## zod 4\.\d+\.\d+ \(MIT\)/);
    for (const name of installed) {
      const pkg = JSON.parse(await readFile(join(app, 'node_modules/@mediaconduit', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      expect(
        Object.values(pkg.dependencies ?? {}).some((range) => range.startsWith('workspace:')),
        name,
      ).toBe(false);
    }
    const coreFiles = await readdir(join(app, 'node_modules/@mediaconduit/core'), { recursive: true });
    expect(coreFiles.filter((file) => String(file).endsWith('.ts') && !String(file).endsWith('.d.ts'))).toEqual([]);
    expect(coreFiles).toContain('dist/index.d.ts');
  });

  it('compiles a strict TypeScript program against the installed types, with skipLibCheck off', async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'dist',
          types: ['node'],
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          noPropertyAccessFromIndexSignature: true,
          skipLibCheck: false,
        },
        include: ['src'],
      }),
    );
    await mkdir(join(app, 'src'));
    await writeFile(
      join(app, 'src/generate.ts'),
      `import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProviderRegistry, Image, MediaConduitError, type ImageModelV1 } from '@mediaconduit/core';
import type { MediaProviderV1 } from '@mediaconduit/provider';
import { createTogether } from '@mediaconduit/together-provider';
import { startFakeTogether } from '@mediaconduit/together-provider/testing';
import { startFakeFal } from '@mediaconduit/fal-provider/testing';
import { runConformance } from '@mediaconduit/testing';

const [folder, out] = process.argv.slice(2);
if (!folder || !out) throw new Error('usage: generate <repository folder> <out.png>');
const registry = createProviderRegistry({ cacheDir: 'cache' });
try {
  const provider: MediaProviderV1 = await registry.getProvider(pathToFileURL(resolve(folder)).href, { config: { seed: 7 } });
  const model: ImageModelV1 = await provider.getModel('mock/gradient-1', { capability: 'text-to-image' });
  const image: Image = await model.transform('A serene mountain landscape', { width: 320, height: 200 });
  await image.save(out);
  console.log(JSON.stringify({ width: image.width, height: image.height, mimeType: image.mimeType, provider: image.metadata.provider }));
} catch (error) {
  if (MediaConduitError.isInstance(error)) console.error(error.code, error.message);
  throw error;
} finally {
  await registry.close();
}
export type Unused = [typeof createTogether, typeof startFakeTogether, typeof startFakeFal, typeof runConformance];
`,
    );
    const { stdout, stderr } = await run(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app).catch((error: { stdout: string; stderr: string }) => error);
    expect(stdout + stderr).toBe('');
  });

  it('starts the installed fake fal server, whose trainers open the zip its storage received', async () => {
    const script = `
import { startFakeFal } from '@mediaconduit/fal-provider/testing';
const fake = await startFakeFal({ clock: 'manual' });
const auth = { authorization: 'Key ' + fake.key, 'content-type': 'application/json' };
const started = await (await fetch(fake.urls.rest + '/storage/upload/initiate?storage_type=fal-cdn-v3', { method: 'POST', headers: auth, body: JSON.stringify({ content_type: 'application/zip', file_name: 'x.zip' }) })).json();
await fetch(started.upload_url, { method: 'PUT', headers: { 'content-type': 'application/zip' }, body: new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]) });
const submitted = await (await fetch(fake.urls.queue + '/fal-ai/flux-lora-fast-training', { method: 'POST', headers: auth, body: JSON.stringify({ images_data_url: started.file_url }) })).json();
fake.advance(1000);
const app = new URL(submitted.status_url).pathname.split('/').slice(2, 4).join('/');
const after = await (await fetch(fake.urls.queue + '/' + app + '/requests/' + submitted.request_id + '/status', { headers: auth })).json();
const models = await (await fetch(fake.urls.api + '/v1/models?category=training')).json();
console.log(JSON.stringify({ submitted: submitted.status, after: [after.status, after.error], trainers: models.models.map((m) => m.endpoint_id), stored: fake.file(started.file_url).bytes.length }));
await fake.close();
`;
    await writeFile(join(app, 'fal-fake.mjs'), script);
    const { stdout } = await run(process.execPath, ['fal-fake.mjs'], app);
    // An empty zip (its end record alone): the trainer opened it and found no image.
    expect(JSON.parse(stdout)).toEqual({
      submitted: 'IN_QUEUE',
      after: ['COMPLETED', 'The archive holds 0 images; at least 4 are needed'],
      trainers: ['fal-ai/flux-lora-fast-training', 'fal-ai/flux-lora-portrait-trainer'],
      stored: 22,
    });
  });

  it('runs npx mediaconduit --version', async () => {
    const { stdout } = await run('npx', ['--no-install', 'mediaconduit', '--version'], app);
    expect(stdout).toMatch(/^mediaconduit 0\.1\.0 \(@mediaconduit\/core 0\.1\.0, provider contract 0\.1\.0, node \d+/);
  });

  it("runs npx mediaconduit load on a local repository, relative paths meaning the user's folder", async () => {
    const repo = await createTestRepo('echo');
    await repo.commit(echoProviderFiles({ id: 'echo' }));
    await cp(repo.dir, join(app, 'providers/echo'), { recursive: true });
    await repo.remove();
    const sub = join(app, 'providers');
    const { stdout } = await run('npx', ['--no-install', 'mediaconduit', 'load', './echo', '--cache-dir', '../cache', '--lockfile', '../mediaconduit.lock.json'], sub);
    expect(stdout).toContain('Echo Provider (echo, local)');
    expect(stdout).toMatch(/text-to-text: echo-1/);
    const lock = JSON.parse(await readFile(join(app, 'mediaconduit.lock.json'), 'utf8')) as { providers: Record<string, { url: string }> };
    expect(Object.values(lock.providers).map((entry) => entry.url)).toEqual([`file://${join(app, 'providers/echo')}`]);
  });

  it('loads the installed mock provider, committed to a repository of its own, with getProvider and generates an image', async () => {
    const mockRepo = join(app, 'providers/mock');
    await cp(join(app, 'node_modules/@mediaconduit/mock-provider'), mockRepo, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)$/.test(source) });
    await git(mockRepo, 'init', '--quiet', '--initial-branch=main');
    await git(mockRepo, 'add', '--all');
    await git(mockRepo, 'commit', '--quiet', '-m', 'mock provider, from its npm package');
    const { stdout } = await run(process.execPath, ['dist/generate.js', './providers/mock', 'mountain.png'], app);
    expect(JSON.parse(stdout)).toEqual({ width: 320, height: 200, mimeType: 'image/png', provider: 'mock' });
    expect(checkPng(await readFile(join(app, 'mountain.png')))).toBeUndefined();
    // The same through the installed command, as JSON.
    const { stdout: ran } = await mediaconduit(['run', './providers/mock', 'mock/stripes-1', 'a striped cat', '-o', 'cat.png', '--opt', 'width=96', '--json', '--no-lockfile']);
    expect(JSON.parse(ran)).toMatchObject({ capability: 'text-to-image', width: 96, mimeType: 'image/png', file: join(app, 'cat.png') });
    expect(checkPng(await readFile(join(app, 'cat.png')))).toBeUndefined();
  });
});

describe('a provider author outside the repository', () => {
  it('before MediaConduit is published: follows the README from an empty folder (tarballs, npx mediaconduit init, commit, validate, load)', async () => {
    const dir = join(work, 'authors-today/acme-audio');
    await mkdir(dir, { recursive: true });
    await run('npm', ['install', '--save-dev', ...['provider', 'core', 'testing', 'cli'].map((name) => tarballs[name]!)], dir, today);
    const init = await run('npx', ['--no-install', 'mediaconduit', 'init'], dir, today);
    expect(init.stdout).toMatch(/^Created provider "acme-audio" \(minimal template\)/);
    expect(init.stdout).toMatch(/^ {2}npx mediaconduit validate \./m); // the CLI is not global here
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies['@mediaconduit/cli']).toMatch(/^file:/); // the tarball install, kept
    await run('npm', ['install'], dir, today);
    await run('npm', ['install', 'yallist@5.0.0'], dir, today);
    const tsc = await run('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], dir, today).catch((error: { stdout: string; stderr: string }) => error);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect((await run('npx', ['--no-install', 'mediaconduit', 'validate', '.'], dir, today)).stdout).not.toMatch(/✗/);
    await git(dir, 'init', '--quiet', '--initial-branch=main');
    await git(dir, 'add', '--all');
    await git(dir, 'commit', '--quiet', '-m', 'first version');
    const ran = await run(
      'npx',
      ['--no-install', 'mediaconduit', 'run', '.', 'acme-audio/echo-1', 'hello there', '--cache-dir', join(work, 'today-cache'), '--no-lockfile'],
      dir,
      today,
    );
    expect(ran.stdout).toBe('hello there\n');
  });

  it('gets a provider from mediaconduit init that installs a dependency, type-checks against the contract and validates', async () => {
    const dir = join(work, 'authors/acme-images');
    await mkdir(join(work, 'authors'));
    await mediaconduit(['init', 'acme-images', '--id', 'acme-images', '--name', 'Acme Images'], join(work, 'authors'));
    await run('npm', ['install', 'yallist@5.0.0'], dir);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies).toEqual({ yallist: '^5.0.0' });
    const tsc = await run('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], dir).catch((error: { stdout: string; stderr: string }) => error);
    expect(tsc.stdout + tsc.stderr).toBe('');
    const validated = await run('npx', ['--no-install', 'mediaconduit', 'validate', '.'], dir);
    expect(validated.stdout).toMatch(/✓ spec/);
    expect(validated.stdout).not.toMatch(/✗/);

    // Loaded from Git, its dependency is installed and the contract is not: the host's is bound.
    await git(dir, 'init', '--quiet', '--initial-branch=main');
    await git(dir, 'add', '--all');
    await git(dir, 'commit', '--quiet', '-m', 'New provider');
    const loaded = await run('npx', ['--no-install', 'mediaconduit', 'load', '.', '--cache-dir', join(work, 'author-cache'), '--lockfile', join(work, 'author-lock.json')], dir);
    expect(loaded.stdout).toContain('Acme Images (acme-images, local)');
    const depsDir = join(work, 'author-cache/deps');
    const [entry] = await readdir(depsDir);
    const installed = await readdir(join(depsDir, entry!, 'node_modules'));
    expect(installed).toContain('yallist');
    expect(installed).not.toContain('@mediaconduit');
  });
});

function git(cwd: string, ...args: string[]) {
  return exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd });
}
