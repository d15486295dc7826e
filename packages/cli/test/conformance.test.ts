import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createProviderRegistry } from '@mediaconduit/core';
import { formatConformanceReport, runConformance } from '@mediaconduit/testing';
import { runCli } from './run-cli.js';

const run = promisify(execFile);
const mockDir = fileURLToPath(new URL('../../mock-provider', import.meta.url));
const brokenDir = fileURLToPath(new URL('./fixtures/broken-provider', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'mc-kit-'));
afterAll(() => rm(work, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(args);

describe('conformance kit', () => {
  it('passes the mock provider, with a valid asset from every capability', async () => {
    const report = await runConformance(mockDir);
    expect(report.checks.filter((c) => c.status !== 'passed')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.provider).toBe('mock 0.1.0');
    expect(report.checks.map((c) => c.name)).toEqual([
      'manifest',
      'build',
      'load',
      'spec',
      'capabilities',
      'text-to-text',
      'text-to-image',
      'text-to-audio',
      'audio-to-text',
      'text-to-embedding',
      'errors',
      'health',
    ]);
    expect(report.checks.find((c) => c.name === 'text-to-image')?.message).toMatch(/valid image\/png 256×256/);
  });

  it('fails the broken provider, listing every failing check with a fix hint', async () => {
    const report = await runConformance(brokenDir);
    expect(report.ok).toBe(false);
    const failed = Object.fromEntries(report.checks.filter((c) => c.status === 'failed').map((c) => [c.name, c]));
    expect(Object.keys(failed).sort()).toEqual(['capabilities', 'errors', 'spec', 'text-to-embedding', 'text-to-image']);
    expect(failed.spec!.message).toMatch(/specificationVersion is "v0"; this host runs "v1" providers/);
    expect(failed.capabilities!.message).toMatch(/declares text-to-embedding in the manifest but does not implement it/);
    expect(failed['text-to-image']!.message).toMatch(/chunk IHDR at byte 8 has a wrong CRC/);
    expect(failed.errors!.message).toMatch(/untyped Error, not a MediaConduitError/);
    for (const check of Object.values(failed)) expect(check.hint, check.name).toBeTruthy();
    expect(report.checks.find((c) => c.name === 'text-to-text')?.status).toBe('passed');
    const text = formatConformanceReport(report);
    expect(text).toMatch(/✗ spec +specificationVersion/);
    expect(text).toMatch(/fix: return an object with specificationVersion: 'v1'/);
    expect(text).toMatch(/10 checks: 5 passed, 5 failed$/);
  });

  it('stops early on a manifest problem and marks later steps skipped', async () => {
    const dir = join(work, 'bad-manifest');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'MediaConduit.provider.yml'), 'id: x\n');
    const report = await runConformance(dir);
    expect(report.checks.map((c) => `${c.name}:${c.status}`)).toEqual(['manifest:failed', 'build:skipped', 'load:skipped']);
  });
});

describe('mediaconduit validate', () => {
  it('exits 0 for the mock provider and 3 (checks failed) for the broken one, printing one line per check', async () => {
    const ok = await cli('validate', mockDir);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/✓ text-to-audio/);
    const bad = await cli('validate', brokenDir);
    expect(bad.code).toBe(3);
    expect(bad.out.match(/✗/g)).toHaveLength(5);
  });
});

describe('mediaconduit init', () => {
  const git = (dir: string, ...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir });
  const commit = async (dir: string) => {
    await git(dir, 'init', '--quiet', '--initial-branch=main');
    await git(dir, 'add', '--all');
    await git(dir, 'commit', '--quiet', '-m', 'first version');
  };

  it('scaffolds a minimal provider (one model, a few files) in the empty folder it runs in, named after it', async () => {
    const dir = join(work, 'acme-echo');
    await mkdir(dir);
    const created = await runCli(['init'], { cwd: dir });
    expect(created.code).toBe(0);
    expect((await readdir(dir, { recursive: true })).map(String).sort()).toEqual([
      '.gitignore',
      'MediaConduit.provider.yml',
      'README.md',
      'package.json',
      'src',
      'src/index.ts',
      'tsconfig.json',
    ]);
    expect(created.out).toMatch(/^Created provider "acme-echo" \(minimal template\) in .*acme-echo: 7 files\. Next:$/m);
    // What a newcomer runs next, in order, with the CLI through npx (it is not global here).
    const next = created.out.split('\n').slice(1).join('\n');
    expect(next.indexOf('npm install')).toBeGreaterThan(-1);
    expect(next.indexOf('git init && git add -A && git commit')).toBeGreaterThan(next.indexOf('npm install'));
    expect(next.indexOf('npx mediaconduit validate .')).toBeGreaterThan(next.indexOf('git commit'));
    expect(next.indexOf('git tag v0.1.0')).toBeGreaterThan(next.indexOf('validate'));
    expect(next).not.toMatch(/^\s+cd /m); // it is already there
    expect(await readFile(join(dir, 'MediaConduit.provider.yml'), 'utf8')).toMatch(/^id: acme-echo\nname: Acme Echo\n/m);
    expect(await readFile(join(dir, 'src/index.ts'), 'utf8')).not.toContain('__');

    await commit(dir);
    const registry = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: false, env: {} });
    const provider = await registry.getProvider(`file://${dir}`);
    expect([provider.id, provider.name, provider.capabilities]).toEqual(['acme-echo', 'Acme Echo', ['text-to-text']]);
    const model = await provider.getModel('acme-echo/echo-1', { capability: 'text-to-text' });
    expect((await model.transform('hello there')).text).toBe('hello there');
    await registry.close();
    const validated = await cli('validate', dir);
    expect(validated.out).toMatch(/✓ text-to-text/);
    expect(validated.code).toBe(0);
  });

  it('scaffolds the full mock provider with --template mock', async () => {
    const dir = join(work, 'acme-images');
    const created = await cli('init', dir, '--id', 'acme-images', '--name', 'Acme Images', '--template', 'mock');
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/^Created provider "acme-images" \(mock template\)/m);
    expect(created.out).toMatch(/^ {2}cd .*acme-images$/m);
    expect(await readFile(join(dir, 'MediaConduit.provider.yml'), 'utf8')).toMatch(/^id: acme-images$/m);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'mediaconduit-provider-acme-images',
      peerDependencies: { '@mediaconduit/provider': '^0.1.0' },
      devDependencies: { '@mediaconduit/provider': '^0.1.0', '@mediaconduit/cli': '^0.1.0' },
    });
    await commit(dir);
    const registry = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: false, env: {} });
    const provider = await registry.getProvider(`file://${dir}`);
    expect([provider.id, provider.name, provider.capabilities.length]).toEqual(['acme-images', 'Acme Images', 5]);
    await registry.close();
    expect((await cli('validate', dir)).code).toBe(0);
  });

  it('prints the cd line quoted for the shell when the folder name needs it', async () => {
    const created = await runCli(['init', "Tom's Provider!", '--id', 'toms-provider'], { cwd: work });
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/^ {2}cd 'Tom'\\''s Provider!'$/m);
  });

  it('works in a folder where the CLI was just installed, keeping its package.json and moving @mediaconduit packages to devDependencies', async () => {
    const dir = join(work, 'my-app-provider');
    await mkdir(join(dir, 'node_modules/@mediaconduit/cli'), { recursive: true });
    await mkdir(join(dir, '.git'));
    const installed = { name: 'my-provider', version: '1.2.0', license: 'MIT', dependencies: { '@mediaconduit/cli': 'file:../mediaconduit-cli-0.1.0.tgz', leftpad: '^1.0.0' } };
    await writeFile(join(dir, 'package.json'), JSON.stringify(installed));
    await writeFile(join(dir, 'package-lock.json'), '{}');
    const created = await runCli(['init', '.', '--id', 'acme-tools'], { cwd: dir });
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/^ {2}git add -A && git commit/m); // .git is there already: no git init
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'my-provider', version: '1.2.0', license: 'MIT', type: 'module', dependencies: { leftpad: '^1.0.0' } });
    expect(pkg.dependencies).not.toHaveProperty(['@mediaconduit/cli']);
    expect(pkg.devDependencies).toMatchObject({ '@mediaconduit/cli': 'file:../mediaconduit-cli-0.1.0.tgz', '@mediaconduit/provider': '^0.1.0' });
    expect(await readFile(join(dir, 'package-lock.json'), 'utf8')).toBe('{}');
  });

  it('refuses a bad id, a folder name that makes none, and a folder holding other files, each as a usage error (exit 2)', async () => {
    const bad = await cli('init', join(work, 'x'), '--id', 'Bad Id');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error USAGE: --id "Bad Id" is not a provider id; use lower-case letters, digits and "-"/);
    const unnamed = join(work, '___');
    await mkdir(unnamed);
    const noId = await runCli(['init'], { cwd: unnamed });
    expect(noId.code).toBe(2);
    expect(noId.err).toMatch(/^error USAGE: the folder name "___" makes no provider id; pass one: --id acme-images/);
    const taken = await cli('init', mockDir, '--id', 'again');
    expect(taken.code).toBe(2);
    expect(taken.err).toMatch(/already holds .*MediaConduit\.provider\.yml.*; pick another folder/);
    expect(await readdir(join(work, 'x')).catch(() => 'absent')).toBe('absent'); // nothing half-written
  });
});
