import { MediaConduitError } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { parseSpecifier } from './parse-specifier.js';

const GH = 'https://github.com/acme/tools';

/** The INVALID_SPECIFIER error `parseSpecifier` throws for `specifier` (fails the test when it throws none). */
function refusalOf(specifier: string): MediaConduitError {
  let caught: unknown;
  try {
    parseSpecifier(specifier);
  } catch (error) {
    caught = error;
  }
  expect(MediaConduitError.hasCode(caught, 'INVALID_SPECIFIER')).toBe(true);
  return caught as MediaConduitError;
}
const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('parseSpecifier accepts every documented form', () => {
  it.each([
    // [specifier, url, subdir, ref, kind]
    ['https://github.com/acme/tools', GH, '', undefined, 'github'],
    ['https://github.com/acme/tools.git', GH, '', undefined, 'github'],
    ['https://github.com/Acme/Tools/', GH, '', undefined, 'github'],
    ['https://github.com/acme/tools@v1.2.0', GH, '', 'v1.2.0', 'github'],
    ['https://github.com/acme/tools.git@main', GH, '', 'main', 'github'],
    ['github:acme/tools@v1.2.0', GH, '', 'v1.2.0', 'github'],
    ['github:acme/tools', GH, '', undefined, 'github'],
    ['github:acme/tools/packages/x@v2', GH, 'packages/x', 'v2', 'github'],
    ['https://github.com/acme/tools/tree/v1.0.0/packages/x', GH, 'packages/x', 'v1.0.0', 'github'],
    ['https://github.com/acme/tools/tree/main', GH, '', 'main', 'github'],
    [`github:acme/tools@${SHA}`, GH, '', SHA, 'github'],
    ['github:acme/tools@0123abc', GH, '', '0123abc', 'github'],
    ['github:acme/tools@^1.2', GH, '', '^1.2', 'github'],
    ['github:acme/tools@~1.2.3', GH, '', '~1.2.3', 'github'],
    ['github:acme/tools@>=1 <2', GH, '', '>=1 <2', 'github'],
    ['github:acme/tools@feature/new-voices', GH, '', 'feature/new-voices', 'github'],
    ['https://gitlab.example.com/group/sub/repo.git', 'https://gitlab.example.com/group/sub/repo', '', undefined, 'git'],
    ['https://gitlab.example.com/group/repo.git/providers/a@v1', 'https://gitlab.example.com/group/repo', 'providers/a', 'v1', 'git'],
    ['https://git.example.com/team/repo//providers/a@^2', 'https://git.example.com/team/repo', 'providers/a', '^2', 'git'],
    ['http://127.0.0.1:8123/acme/tools.git', 'http://127.0.0.1:8123/acme/tools', '', undefined, 'git'],
    ['https://[2001:db8::1]/team/repo.git', 'https://[2001:db8::1]/team/repo', '', undefined, 'git'],
    ['file:///srv/repos/tools', 'file:///srv/repos/tools', '', undefined, 'file'],
    ['file:///srv/repos/tools//packages/mock@main', 'file:///srv/repos/tools', 'packages/mock', 'main', 'file'],
    ['/srv/repos/tools@v1.0.0', 'file:///srv/repos/tools', '', 'v1.0.0', 'file'],
    ['/srv/repos/tools//packages/mock', 'file:///srv/repos/tools', 'packages/mock', undefined, 'file'],
  ] as const)('%s', (specifier, url, subdir, ref, kind) => {
    const source = parseSpecifier(specifier);
    expect(source).toMatchObject({ url, subdir, kind });
    expect(source.ref).toBe(ref);
    expect(source.key).toBe(`${url}${subdir ? `//${subdir}` : ''}${ref === undefined ? '' : `@${ref}`}`);
  });

  it('gives equal keys to different spellings of one repository', () => {
    const keys = ['https://github.com/acme/tools.git@v1', 'github:acme/tools@v1', 'https://github.com/ACME/tools@v1'].map((s) => parseSpecifier(s).key);
    expect(new Set(keys).size).toBe(1);
  });

  it('keeps the .git suffix in the clone URL of other hosts', () => {
    expect(parseSpecifier('https://gitlab.example.com/group/repo.git').cloneUrl).toBe('https://gitlab.example.com/group/repo.git');
    expect(parseSpecifier('github:acme/tools').cloneUrl).toBe('https://github.com/acme/tools.git');
  });
});

describe('parseSpecifier rejects bad input with INVALID_SPECIFIER and a reason', () => {
  it.each([
    ['', /empty/],
    ['github:/tools', /owner is empty/],
    ['github:acme/', /repository name is empty/],
    ['https://github.com//tools', /owner is empty/],
    ['github:acme/tools/../../etc@v1', /contains "\.\."/],
    ['/srv/../etc/repo', /contains "\.\."/],
    ['github:-acme/tools', /starts with "-"/],
    ['github:acme/-u', /starts with "-"/],
    ['github:acme/tools@--upload-pack=x', /starts with "-"/],
    ['-c core.pager=x', /starts with "-"/],
    ['ext::sh -c touch% /tmp/pwned', /remote helpers/],
    ['fd::17', /remote helpers/],
    ['https://github.com/acme/tools::x', /remote helpers/],
    ['github:acme/tools;rm -rf ~', /shell metacharacters/],
    ['github:acme/$(whoami)', /shell metacharacters/],
    ['github:acme/tools@v1`id`', /not allowed/],
    ['github:acme/tools@v1\nmain', /newline/],
    ['ftp://example.com/acme/tools', /unknown scheme "ftp:"/],
    ['svn+ssh://example.com/acme/tools', /unknown scheme/],
    ['gopher:acme/tools', /unknown scheme "gopher:"/],
    ['acme/tools', /relative path or bare name/],
    ['./tools', /relative path/],
    ['https://user:secret@github.com/acme/tools', /credentials/],
    ['http://example.com/acme/tools', /only allowed for loopback/],
    ['https://example.com/tools', /owner and a repository/],
    ['github:acme/tools@', /ref after "@" is empty/],
    ['github:acme/tools@v1..v2', /not allowed/],
    ['file://relative/path', /must be absolute/],
    // Encoded dots and slashes, which URL parsing would turn into ".." or "/" after the checks.
    ['file:///srv/acme/%2e%2e/acme/good', /percent-encoded "\.", "\/" or "\\"/],
    ['file:///srv/acme/%2E%2e/acme/good@v1', /percent-encoded/],
    ['/srv/acme/.%2e/etc', /percent-encoded/],
    ['https://git.example.com/team/%2e%2e/repo', /percent-encoded/],
    ['github:acme/tools/packages%2f..%2fx', /percent-encoded/],
    ['github:acme/tools@v1%2e0', /percent-encoded/],
    // Link-local and cloud metadata addresses, however they are spelled.
    ['https://169.254.169.254/x/y', /link-local or cloud metadata address/],
    ['https://2852039166/x/y', /link-local or cloud metadata address/],
    ['https://0xa9.0xfe.0xa9.0xfe/x/y', /link-local or cloud metadata address/],
    ['https://0251.0376.0251.0376/x/y', /link-local or cloud metadata address/],
    ['https://169.254.169.254./x/y', /link-local or cloud metadata address/],
    ['https://[fe80::1]/x/y', /link-local or cloud metadata address/],
    ['https://[::ffff:169.254.169.254]/x/y', /link-local or cloud metadata address/],
    ['https://[fd00:ec2::254]/x/y', /link-local or cloud metadata address/],
    ['https://metadata.google.internal/x/y', /link-local or cloud metadata address/],
    ['https://100.100.100.200/x/y', /link-local or cloud metadata address/],
  ])('%j', (specifier, reason) => {
    expect(refusalOf(specifier).message).toMatch(reason);
  });
});

describe('a refused specifier never repeats a secret', () => {
  it.each([
    'https://x-access-token:SECRET-token-123@github.com/o/r',
    'https://SECRET-token-123@github.com/o/r',
    'https://user:SECRET-token-123@git.example.com/team/repo.git//dir@v1',
    'http://user:SECRET-token-123@127.0.0.1:8123/acme/tools',
  ])('%s', (specifier) => {
    const error = refusalOf(specifier);
    expect(error.message).toMatch(/credentials in the URL/);
    expect(error.message).toContain('***@');
    for (const text of [error.message, String(error.stack), JSON.stringify(error.toJSON()), JSON.stringify(error.details)]) expect(text).not.toContain('SECRET-token-123');
  });
});
