import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createTestRepo, startGitHttpServer, startNpmRegistry, type GitHttpServer, type NpmRegistry } from '@mediaconduit/testing';

const run = promisify(execFile);

/** A small text provider: one model, two source files, the contract as its only import. */
const MANIFEST = `id: bench-small
name: Benchmark Small Provider
version: 1.0.0
description: A small text provider for the load benchmark
type: local
capabilities:
  - text-to-text
contract: ^0.1.0
`;
const REVERSE = `export function reverse(text: string): string {
  return [...text].reverse().join('');
}
`;
const INDEX = `import { MediaConduitError, modelWithCapability, Text, type MediaProviderV1, type ModelInfoV1, type ProviderContextV1, type TextModelV1 } from '@mediaconduit/provider';
import { reverse } from './reverse.js';

const info: ModelInfoV1 = { id: 'reverse', providerId: 'bench-small', capability: 'text-to-text' };
const model: TextModelV1 = {
  specificationVersion: 'v1',
  capability: 'text-to-text',
  id: 'reverse',
  info,
  async transform(input) {
    return new Text(reverse(String(input)), { provider: 'bench-small', model: 'reverse' });
  },
  async *stream(input) {
    yield { type: 'text-delta', text: reverse(String(input)) };
    yield { type: 'finish', finishReason: 'stop' };
  },
};

export default function create(_context: ProviderContextV1): MediaProviderV1 {
  return {
    specificationVersion: 'v1',
    id: 'bench-small',
    name: 'Benchmark Small Provider',
    type: 'local',
    capabilities: ['text-to-text'],
    listModels: async () => [info],
    getModel: async (id, options) => {
      if (id !== 'reverse') throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: \`bench-small: no model "\${id}"\` });
      return modelWithCapability(model, options?.capability, 'bench-small');
    },
    getModelsForCapability: (capability) => (capability === 'text-to-text' ? [info] : []),
    isAvailable: async () => true,
    getHealth: async () => ({ status: 'healthy', checkedAt: new Date().toISOString() }),
  };
}
`;

/** The benchmark's world on loopback: two provider repositories behind a Git HTTP server, and an npm registry stand-in. */
export interface BenchFixture {
  work: string;
  /** `github:acme/small@v1.0.0` (no npm dependencies) and `github:acme/small-deps@v1.0.0` (one small dependency). */
  specs: { plain: string; withDep: string };
  /** The same repositories' URLs on the loopback server, for the hand-run baselines. */
  remotes: { plain: string; withDep: string };
  /** `https://github.com/` → the loopback server. */
  rewrites: Record<string, string>;
  /** For `MEDIACONDUIT_GIT_REWRITES` in child processes. */
  rewritesEnv: string;
  npm: NpmRegistry;
  git: GitHttpServer;
  /** A folder for a run's files: under `work`, where `node_modules/@mediaconduit/provider` resolves. */
  runDir(name: string): Promise<string>;
  close(): Promise<void>;
}

/** The folder of the package `name` (one that exports its package.json) as this module resolves it. */
export function packageDir(name: string): string {
  return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
}

/** The folder of the package `name` as the project in `cwd` resolves it, else as this CLI does; `undefined` when neither has it. */
export function findPackage(name: string, cwd: string): string | undefined {
  for (const from of [join(cwd, 'package.json'), import.meta.url]) {
    try {
      return dirname(createRequire(from).resolve(`${name}/package.json`));
    } catch {
      // not there
    }
  }
  return undefined;
}

export async function createBenchFixture(): Promise<BenchFixture> {
  const work = await mkdtemp(join(tmpdir(), 'mediaconduit-bench-'));
  // What a hand-run pipeline has after `npm install` of the contract: resolvable from every run folder below.
  await mkdir(join(work, 'node_modules/@mediaconduit'), { recursive: true });
  await symlink(packageDir('@mediaconduit/provider'), join(work, 'node_modules/@mediaconduit/provider'), 'dir');

  const depDir = join(work, 'tiny-dep');
  await mkdir(depDir, { recursive: true });
  await writeFile(join(depDir, 'package.json'), JSON.stringify({ name: 'tiny-dep', version: '1.0.0', type: 'module', main: 'index.js' }));
  await writeFile(join(depDir, 'index.js'), "export const shout = (s) => s.toUpperCase() + '!';\n");
  const npm = await startNpmRegistry({ packages: [{ folder: depDir }] });
  const tarballUrl = `${npm.url}/tiny-dep/-/tiny-dep-1.0.0.tgz`;
  const integrity = `sha512-${createHash('sha512')
    .update(Buffer.from(await (await fetch(tarballUrl)).arrayBuffer()))
    .digest('base64')}`;

  const files = { 'MediaConduit.provider.yml': MANIFEST, 'src/index.ts': INDEX, 'src/reverse.ts': REVERSE };
  const plain = await createTestRepo('small');
  await plain.commit({ ...files, 'package.json': JSON.stringify({ name: 'bench-small', version: '1.0.0', private: true, type: 'module' }) });
  await plain.tag('v1.0.0');
  const withDep = await createTestRepo('small-deps');
  await withDep.commit({
    ...files,
    'src/index.ts': `import { shout } from 'tiny-dep';\nexport const SHOUT = shout('hi');\n${INDEX}`,
    'package.json': JSON.stringify({ name: 'bench-small', version: '1.0.0', private: true, type: 'module', dependencies: { 'tiny-dep': '^1.0.0' } }),
    'package-lock.json': JSON.stringify({
      name: 'bench-small',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'bench-small', version: '1.0.0', dependencies: { 'tiny-dep': '^1.0.0' } },
        'node_modules/tiny-dep': { version: '1.0.0', resolved: tarballUrl, integrity },
      },
    }),
  });
  await withDep.tag('v1.0.0');
  const served = join(work, 'srv');
  await run('git', ['clone', '--quiet', '--bare', plain.dir, join(served, 'acme/small.git')]);
  await run('git', ['clone', '--quiet', '--bare', withDep.dir, join(served, 'acme/small-deps.git')]);
  await plain.remove();
  await withDep.remove();
  const git = await startGitHttpServer(served);
  const rewrites = { 'https://github.com/': git.baseUrl };
  let runs = 0;
  return {
    work,
    specs: { plain: 'github:acme/small@v1.0.0', withDep: 'github:acme/small-deps@v1.0.0' },
    remotes: { plain: `${git.baseUrl}acme/small.git`, withDep: `${git.baseUrl}acme/small-deps.git` },
    rewrites,
    rewritesEnv: `https://github.com/=${git.baseUrl}`,
    npm,
    git,
    async runDir(name) {
      const dir = join(work, 'runs', `${String(runs++).padStart(4, '0')}-${name}`);
      await mkdir(dir, { recursive: true });
      return dir;
    },
    async close() {
      await git.close();
      await npm.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
