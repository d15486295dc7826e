import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MediaConduitError } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { applyUrlRewrites, parseUrlRewrites } from '../source/url-rewrites.js';
import { debugEnabled } from '../util/logger.js';
import { redact } from '../util/redact.js';
import { CORE_VERSION } from '../version.js';
import { BUILD_SETTINGS_ID } from '../build/build-settings-id.js';
import { resolveRegistryOptions } from './registry-options.js';

describe('registry options', () => {
  it('reports every bad option at once', () => {
    let caught: unknown;
    try {
      resolveRegistryOptions({ cacheDir: '', gitTimeoutMs: -1, tokens: { 'github.com': 5 as never }, cacheDirectory: 'x' } as never);
    } catch (error) {
      caught = error;
    }
    expect(MediaConduitError.hasCode(caught, 'INVALID_OPTIONS')).toBe(true);
    expect((caught as MediaConduitError).details.problems).toEqual([
      expect.stringMatching(/^cacheDirectory: unknown option/),
      expect.stringMatching(/^cacheDir: expected a folder path/),
      expect.stringMatching(/^tokens: expected an object mapping host names to tokens/),
      expect.stringMatching(/^gitTimeoutMs: expected a positive number/),
    ]);
  });

  it('reads defaults from the environment; options win', () => {
    const env = {
      MEDIACONDUIT_CACHE_DIR: '/tmp/c',
      MEDIACONDUIT_OFFLINE: '1',
      MEDIACONDUIT_FROZEN_LOCKFILE: 'true',
      GITHUB_TOKEN: 'gh-token',
      MEDIACONDUIT_GIT_TOKEN: 'corp',
      MEDIACONDUIT_GIT_TOKEN_HOST: 'git.corp.example',
      MEDIACONDUIT_GIT_REWRITES: 'https://github.com/=http://127.0.0.1:1/',
    };
    const resolved = resolveRegistryOptions({ env, lockfile: false });
    expect(resolved).toMatchObject({
      cacheDir: '/tmp/c',
      offline: true,
      frozen: true,
      lockfile: false,
      tokens: { 'github.com': 'gh-token', 'git.corp.example': 'corp' },
      rewrites: { 'https://github.com/': 'http://127.0.0.1:1/' },
    });
    expect(resolveRegistryOptions({ env, offline: false, tokens: { 'GitHub.com': 'mine' } })).toMatchObject({ offline: false, tokens: { 'github.com': 'mine' } });
  });

  it('reads where providers run, their heap cap and the origins kept secrets may go to; refuses bad ones', () => {
    const env = { MEDIACONDUIT_ISOLATION: 'process', MEDIACONDUIT_ISOLATION_MEMORY_MB: '256', MEDIACONDUIT_SECRET_ORIGINS: 'A_KEY=http://127.0.0.1:9/v1, A_KEY=https://x.example' };
    expect(resolveRegistryOptions({ env, secretOrigins: { A_KEY: ['http://127.0.0.1:9'], B_KEY: ['https://b.example/'] } })).toMatchObject({
      isolation: 'process',
      isolationSettings: { memoryMb: 256 },
      secretOrigins: { A_KEY: ['http://127.0.0.1:9', 'https://x.example'], B_KEY: ['https://b.example'] },
    });
    expect(resolveRegistryOptions({ env: {} }).isolation).toBe('auto');
    let caught: unknown;
    try {
      resolveRegistryOptions({ env: { MEDIACONDUIT_ISOLATION: 'sandbox', MEDIACONDUIT_SECRET_ORIGINS: 'nope' }, isolationMemoryMb: 4, secretOrigins: { K: ['ftp://x'] } });
    } catch (error) {
      caught = error;
    }
    expect((caught as MediaConduitError).details.problems).toEqual([
      expect.stringMatching(/^isolationMemoryMb: expected a number of MB, at least 16/),
      expect.stringMatching(/^secretOrigins: expected an object mapping variable names to lists of http\(s\) origins/),
      expect.stringMatching(/^MEDIACONDUIT_ISOLATION: expected "process", "none" or "auto", got "sandbox"/),
      expect.stringMatching(/^MEDIACONDUIT_SECRET_ORIGINS: "nope" is not NAME=http\(s\)-origin/),
    ]);
  });

  it('URL rewrites use the longest matching prefix and refuse malformed pairs', () => {
    const rewrites = parseUrlRewrites('https://github.com/=http://mirror/gh/, https://github.com/acme/=file:///srv/acme/');
    expect(applyUrlRewrites('https://github.com/acme/x.git', rewrites)).toBe('file:///srv/acme/x.git');
    expect(applyUrlRewrites('https://github.com/other/x.git', rewrites)).toBe('http://mirror/gh/other/x.git');
    expect(applyUrlRewrites('https://gitlab.com/a/b', rewrites)).toBe('https://gitlab.com/a/b');
    expect(() => parseUrlRewrites('github.com')).toThrow(/expected "from=to"/);
  });

  it('DEBUG patterns switch debug output per namespace', () => {
    expect(debugEnabled('mediaconduit:registry', 'mediaconduit:*')).toBe(true);
    expect(debugEnabled('mediaconduit:registry', 'mediaconduit:*,-mediaconduit:registry')).toBe(false);
    expect(debugEnabled('mediaconduit:registry', '')).toBe(false);
  });

  it('redacts secrets and their Basic-auth forms', () => {
    const secret = 'tok_abcdef';
    const basic = Buffer.from(`x-access-token:${secret}`).toString('base64');
    expect(redact(`a ${secret} b ${basic}`, [secret])).toBe('a *** b ***');
  });

  it('CORE_VERSION and BUILD_SETTINGS_ID match package.json and the installed esbuild', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(CORE_VERSION).toBe(pkg.version);
    const esbuildPkg = createRequire(import.meta.url)('esbuild/package.json') as { version: string };
    expect(BUILD_SETTINGS_ID).toContain(`esbuild-${esbuildPkg.version}/`);
  });
});
