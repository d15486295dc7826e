import { describe, expect, it } from 'vitest';
import { resolveLocalSpecifier } from './local-specifier.js';

const folders = new Set(['/home/me/work/acme', '/home/me/work/repos/mono']);
const isFolder = (path: string) => folders.has(path);

describe('resolveLocalSpecifier', () => {
  it.each([
    ['./acme', '/home/me/work/acme'],
    ['./acme@v1.2.0', '/home/me/work/acme@v1.2.0'],
    ['../work/repos/mono//providers/x@^2', '/home/me/work/repos/mono//providers/x@^2'],
    ['.', '/home/me/work'],
    ['acme@main', '/home/me/work/acme@main'],
    ['repos/mono//providers/x', '/home/me/work/repos/mono//providers/x'],
  ])('%s in /home/me/work means %s', (specifier, expected) => {
    expect(resolveLocalSpecifier(specifier, '/home/me/work', isFolder)).toBe(expected);
  });

  it.each(['github:acme/provider@v1', 'https://github.com/acme/provider', 'file:///srv/repos/provider', '/srv/repos/provider//packages/x@main', 'not-a-folder-here'])(
    'leaves %s as it is',
    (specifier) => {
      expect(resolveLocalSpecifier(specifier, '/home/me/work', isFolder)).toBe(specifier);
    },
  );
});
