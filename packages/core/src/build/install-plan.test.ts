import { MediaConduitError } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { installPlan } from './install-plan.js';

const linux = { platform: 'linux', arch: 'x64' };
const REGISTRY = 'https://registry.example.test/';
const tarball = (name: string) => `https://registry.example.test/${name}/-/${name.split('/').pop()}-1.0.0.tgz`;
const entry = (name: string, extra: object = {}) => ({ version: '1.0.0', resolved: tarball(name), integrity: 'sha512-AAAA', ...extra });
const lock = (packages: Record<string, object>) => JSON.stringify({ lockfileVersion: 3, packages: { '': {}, ...packages } });

describe('installPlan', () => {
  it('keeps production registry packages at their lockfile paths, and leaves out what the host must not install', () => {
    const plan = installPlan(
      lock({
        'node_modules/a': entry('a'),
        'node_modules/a/node_modules/@scope/b': entry('@scope/b'),
        'node_modules/dev-only': entry('dev-only', { dev: true }),
        'node_modules/dev-optional': entry('dev-optional', { devOptional: true }),
        'node_modules/a-peer': entry('a-peer', { peer: true }),
        'node_modules/@mediaconduit/provider': entry('@mediaconduit/provider'),
        'node_modules/bundled': entry('bundled', { inBundle: true }),
        'node_modules/@esbuild/darwin-arm64': entry('@esbuild/darwin-arm64', { optional: true, os: ['darwin'], cpu: ['arm64'] }),
        'node_modules/@esbuild/linux-x64': entry('@esbuild/linux-x64', { optional: true, os: ['linux'], cpu: ['x64'] }),
        'node_modules/no-url': { version: '2.0.1', integrity: 'sha512-BBBB' },
      }),
      linux,
      REGISTRY,
    );
    expect(plan.map((item) => [item.path, item.name, item.optional])).toEqual([
      ['node_modules/a', 'a', false],
      ['node_modules/a/node_modules/@scope/b', '@scope/b', false],
      ['node_modules/@esbuild/linux-x64', '@esbuild/linux-x64', true],
      ['node_modules/no-url', 'no-url', false],
    ]);
    expect(plan.at(-1)).toMatchObject({ resolved: undefined, version: '2.0.1' });
  });

  it("fetches only from the registry's origin: the public registry's URLs are moved onto it, as npm does; other hosts are refused", () => {
    const plan = installPlan(lock({ 'node_modules/a': entry('a', { resolved: 'https://registry.npmjs.org/a/-/a-1.0.0.tgz' }) }), linux, REGISTRY);
    expect(plan[0]?.resolved).toBe('https://registry.example.test/a/-/a-1.0.0.tgz');
    let caught: unknown;
    try {
      installPlan(
        lock({
          'node_modules/elsewhere': entry('elsewhere', { resolved: 'https://evil.example.test/elsewhere/-/elsewhere-1.0.0.tgz' }),
          'node_modules/local': entry('local', { resolved: 'http://127.0.0.1:9200/local/-/local-1.0.0.tgz' }),
        }),
        linux,
        REGISTRY,
      );
    } catch (error) {
      caught = error;
    }
    expect(MediaConduitError.hasCode(caught, 'INSTALL_FAILED')).toBe(true);
    expect((caught as Error).message).toMatch(
      /- elsewhere: "https:\/\/evil\.example\.test\/elsewhere\/-\/elsewhere-1\.0\.0\.tgz" is not a tarball of the registry https:\/\/registry\.example\.test/,
    );
    expect((caught as Error).message).toMatch(/- local: "http:\/\/127\.0\.0\.1:9200\/local\/-\/local-1\.0\.0\.tgz" is not a tarball of the registry/);
  });

  it.each([
    ['a path leaving node_modules', { '../../etc/x': entry('x') }, /"\.\.\/\.\.\/etc\/x": not a node_modules path/],
    ['a traversal inside the path', { 'node_modules/a/../../../x': entry('x') }, /not a node_modules path/],
    [
      'a git dependency',
      { 'node_modules/g': entry('g', { resolved: 'git+ssh://git@example.test/g.git#abc' }) },
      /- g: "git\+ssh:\/\/\*\*\*@example\.test\/g\.git#abc" is not a registry tarball/,
    ],
    ['a tag that is not a version', { 'node_modules/v': entry('v', { version: 'latest' }) }, /- v: version "latest" is not a published registry version/],
    ['a lockfile version 1', undefined, /has no "packages" \(lockfileVersion 1\); regenerate it with npm 7 or newer/],
  ])('refuses %s with INSTALL_FAILED', (_, packages, message) => {
    const text = packages ? lock(packages) : JSON.stringify({ lockfileVersion: 1, dependencies: {} });
    let caught: unknown;
    try {
      installPlan(text, linux, REGISTRY);
    } catch (error) {
      caught = error;
    }
    expect(MediaConduitError.hasCode(caught, 'INSTALL_FAILED')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
