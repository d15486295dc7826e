import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
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
  it('scaffolds a provider that can be committed, loaded by file: URL and validated', async () => {
    const dir = join(work, 'acme-images');
    const created = await cli('init', dir, '--id', 'acme-images', '--name', 'Acme Images');
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created provider "acme-images"');
    expect(await readFile(join(dir, 'MediaConduit.provider.yml'), 'utf8')).toMatch(/^id: acme-images$/m);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'mediaconduit-provider-acme-images',
      peerDependencies: { '@mediaconduit/provider': '^0.1.0' },
      devDependencies: { '@mediaconduit/provider': '^0.1.0', '@mediaconduit/cli': '^0.1.0' },
    });
    const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir });
    await git('init', '--quiet', '--initial-branch=main');
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'New provider');
    const registry = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: false, env: {} });
    const provider = await registry.getProvider(`file://${dir}`);
    expect([provider.id, provider.name]).toEqual(['acme-images', 'Acme Images']);
    await registry.close();
    expect((await cli('validate', dir)).code).toBe(0);
  });

  it('refuses a bad id, a missing id and a non-empty folder', async () => {
    expect((await cli('init', join(work, 'x'), '--id', 'Bad Id')).err).toMatch(/INVALID_OPTIONS: init: id "Bad Id" is invalid/);
    const missing = await cli('init', join(work, 'y'));
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`mediaconduit: required option '--id <id>' not specified (run "mediaconduit init --help" for usage)\n`);
    expect((await cli('init', mockDir, '--id', 'again')).err).toMatch(/is not empty/);
  });
});
