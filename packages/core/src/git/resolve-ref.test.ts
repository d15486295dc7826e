import { MediaConduitError } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import type { RemoteRefs } from './ls-remote.js';
import { resolveRef } from './resolve-ref.js';

const sha = (c: string) => c.repeat(40);
const refs: RemoteRefs = {
  head: sha('e'),
  headBranch: 'main',
  tags: new Map([
    ['v1.0.0', sha('a')],
    ['1.1.0', sha('b')],
    ['v1.2.0', sha('c')],
    ['v2.0.0-beta.1', sha('d')],
    ['nightly', sha('f')],
  ]),
  branches: new Map([
    ['main', sha('e')],
    ['feature/x', sha('1')],
  ]),
};

describe('resolveRef', () => {
  it.each([
    [undefined, sha('e'), 'default-branch', 'main'],
    ['v1.0.0', sha('a'), 'tag', 'v1.0.0'],
    ['1.1.0', sha('b'), 'tag', '1.1.0'],
    ['main', sha('e'), 'branch', 'main'],
    ['feature/x', sha('1'), 'branch', 'feature/x'],
    ['nightly', sha('f'), 'tag', 'nightly'],
    [sha('9'), sha('9'), 'commit', undefined],
    ['aaaaaaa', sha('a'), 'commit', undefined],
    ['^1', sha('c'), 'range', 'v1.2.0'],
    ['~1.1.0', sha('b'), 'range', '1.1.0'],
    ['>=1 <1.2', sha('b'), 'range', '1.1.0'],
    ['1.0.0', sha('a'), 'range', 'v1.0.0'],
    ['^2.0.0-beta', sha('d'), 'range', 'v2.0.0-beta.1'],
  ])('%s → %s', (ref, commit, kind, name) => {
    const resolved = resolveRef('test', ref, refs);
    expect(resolved).toMatchObject({ commit, kind });
    expect(resolved.name).toBe(name);
  });

  it('leaves a short SHA that no ref starts with for expansion by fetching', () => {
    expect(resolveRef('test', '2222222', refs)).toEqual({ commit: '2222222', kind: 'commit', needsExpansion: true });
  });

  it.each([
    ['^2', /no tag satisfies the semver range "\^2"/],
    ['^3.0.0', /no tag satisfies/],
    ['release', /no tag or branch is named "release"/],
  ])('%s is REF_NOT_FOUND and lists what exists, never the default branch', (ref, reason) => {
    let caught: unknown;
    try {
      resolveRef('github:acme/x', ref, refs);
    } catch (error) {
      caught = error;
    }
    expect(MediaConduitError.hasCode(caught, 'REF_NOT_FOUND')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toMatch(reason);
    expect(message).toContain('tags: v2.0.0-beta.1, v1.2.0, 1.1.0, v1.0.0, nightly');
    expect(message).toContain('branches: feature/x, main');
  });
});
