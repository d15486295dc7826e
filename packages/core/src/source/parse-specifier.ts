import { isAbsolute, posix, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mcError } from '../util/errors.js';
import type { ProviderSource } from './provider-source.js';

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what these refuse
const FORBIDDEN_IN_REF = /[\0-\x1f\x7f;&$`(){}!'"\\?[\]#:]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what these refuse
const FORBIDDEN_ANYWHERE = /[\0-\x1f\x7f;&$`(){}!'"\\|<>]/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/** Whether a URL's host (with or without its port) is this machine. */
export const isLoopbackHost = (host: string): boolean => LOOPBACK.test(host.toLowerCase());

/**
 * Parses a provider specifier without touching the network or the disk.
 *
 * Forms: `https://github.com/o/r[.git][@ref]`, `https://github.com/o/r/tree/<ref>[/<dir>]`,
 * `github:o/r[/dir…][@ref]`, `https://host/path/repo[.git][//dir][@ref]`,
 * `file:///abs/repo[//dir][@ref]` and `/abs/repo[//dir][@ref]`.
 * A ref is a tag, branch, commit SHA (full or short) or semver range over tags.
 *
 * @throws `INVALID_SPECIFIER` naming the reason, before any git process could run.
 */
export function parseSpecifier(specifier: string): ProviderSource {
  if (typeof specifier !== 'string' || specifier.trim() === '') fail(String(specifier), 'it is empty', 'pass a URL such as "github:owner/repo@v1.0.0"');
  if (specifier !== specifier.trim()) fail(specifier, 'it has leading or trailing spaces', 'remove them');
  if (/[\r\n\0]/.test(specifier)) fail(specifier, 'it contains a newline or NUL character', 'pass a single-line specifier');
  // "::" outside an IPv6 host literal (https://[fe80::1]/…) is a git remote helper.
  const withoutIpv6Host = specifier.replace(/^(https?:\/\/)\[[0-9a-f:.]+\]/i, '$1host');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(specifier) || withoutIpv6Host.includes('::')) {
    fail(specifier, 'git remote helpers ("ext::", "fd::", "x::") are not allowed', 'use an https://, github: or file: URL');
  }
  if (specifier.startsWith('-')) fail(specifier, 'it starts with "-"', 'pass a URL, not an option');
  // URL parsing decodes these after the checks below ran: "%2e%2e" becomes "..", "%2f" a "/".
  if (/%(2e|2f|5c)/i.test(specifier)) fail(specifier, 'it contains a percent-encoded ".", "/" or "\\"', 'write the path without percent-encoding');

  if (specifier.startsWith('github:')) return parseGithubShorthand(specifier, specifier.slice('github:'.length));
  if (specifier.startsWith('file:') || specifier.startsWith('/')) return parseFile(specifier);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(specifier)?.[1]?.toLowerCase();
  if (scheme === 'https' || scheme === 'http') return parseHttp(specifier, scheme);
  if (scheme) fail(specifier, `unknown scheme "${scheme}:"`, 'use https://, github: or file:');
  if (/^\.{0,2}\//.test(specifier) || !specifier.includes(':')) {
    fail(specifier, 'a relative path or bare name is ambiguous', 'use an absolute path, a file: URL, or github:owner/repo');
  }
  return fail(specifier, `unknown scheme "${specifier.slice(0, specifier.indexOf(':') + 1)}"`, 'use https://, github: or file:');
}

function fail(specifier: string, reason: string, hint: string): never {
  const shown = redactSpecifier(specifier);
  throw mcError('INVALID_SPECIFIER', `provider specifier "${shown}" is invalid: ${reason}; ${hint}`, { details: { specifier: shown, reason } });
}

/** `specifier` with any `user:password@` of a URL replaced by `***@`, for messages and logs. */
export function redactSpecifier(specifier: string): string {
  return String(specifier).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

/** Why `host` (an http(s) URL's authority) may never be loaded from, or `undefined`. */
export function forbiddenHostReason(authority: string): string | undefined {
  // The URL parser spells the host the way the network will see it: 2852039166, 0xa9.0xfe.0xa9.0xfe
  // and 169.254.169.254. are all 169.254.169.254.
  const host = URL.canParse(`https://${authority}`) ? new URL(`https://${authority}`).hostname : authority.toLowerCase();
  const linkLocal = /^169\.254\.\d+\.\d+$/.test(host) || /^\[fe[89ab][0-9a-f]?:/i.test(host) || /^\[::ffff:a9fe:[0-9a-f]+\]$/i.test(host);
  const metadata = ['metadata.google.internal', 'metadata.goog', 'metadata', '100.100.100.200', '[fd00:ec2::254]'].includes(host);
  return linkLocal || metadata ? `host "${host}" is a link-local or cloud metadata address` : undefined;
}

/** Splits `body@ref` at the last "@" (paths never contain "@"). */
function splitRef(specifier: string, body: string): { body: string; ref?: string } {
  const at = body.lastIndexOf('@');
  if (at === -1) return { body };
  const ref = body.slice(at + 1);
  checkRef(specifier, ref);
  return { body: body.slice(0, at), ref };
}

function checkRef(specifier: string, ref: string): void {
  if (ref === '') fail(specifier, 'the ref after "@" is empty', 'name a tag, branch, commit or semver range, or drop the "@"');
  if (ref.startsWith('-')) fail(specifier, `ref "${ref}" starts with "-"`, 'name a tag, branch, commit or semver range');
  if (FORBIDDEN_IN_REF.test(ref) || ref.includes('..')) {
    fail(specifier, `ref "${ref}" contains characters that are not allowed (shell metacharacters, "..", ":")`, 'name a tag, branch, commit or semver range');
  }
  if (ref.endsWith('/') || ref.endsWith('.lock') || ref.includes('//')) fail(specifier, `ref "${ref}" is not a valid git ref name`, 'check the tag or branch name');
}

function checkSegments(specifier: string, segments: readonly string[], what: string): void {
  for (const segment of segments) {
    if (segment === '') fail(specifier, `the ${what} has an empty part`, 'remove doubled slashes');
    if (segment === '..' || segment === '.') fail(specifier, `the ${what} contains "${segment}"`, 'name the folder directly');
    if (segment.startsWith('-')) fail(specifier, `"${segment}" in the ${what} starts with "-"`, 'rename it or pick another path');
    if (!NAME.test(segment)) fail(specifier, `"${segment}" in the ${what} has characters outside A-Z, a-z, 0-9, "._-"`, 'check for typos or shell metacharacters');
  }
}

function subdirOf(specifier: string, raw: string | undefined): string {
  if (raw === undefined || raw === '') return '';
  const trimmed = raw.replace(/\/+$/, '');
  const segments = trimmed.split('/');
  checkSegments(specifier, segments, 'subfolder');
  return segments.join('/');
}

function build(source: Omit<ProviderSource, 'key'>): ProviderSource {
  const key = `${source.url}${source.subdir ? `//${source.subdir}` : ''}${source.ref === undefined ? '' : `@${source.ref}`}`;
  return { ...source, key };
}

function parseGithubShorthand(specifier: string, rest: string): ProviderSource {
  if (FORBIDDEN_ANYWHERE.test(rest.split('@')[0] ?? '')) fail(specifier, 'it contains shell metacharacters', 'use only owner, repo and folder names');
  const { body, ref } = splitRef(specifier, rest);
  const [owner = '', repoRaw = '', ...dirs] = body.split('/');
  return githubSource(specifier, owner, repoRaw, dirs.join('/'), ref);
}

function githubSource(specifier: string, owner: string, repoRaw: string, dir: string, ref: string | undefined): ProviderSource {
  const repo = repoRaw.replace(/\.git$/, '');
  if (owner === '') fail(specifier, 'the owner is empty', 'write github:owner/repo');
  if (repo === '') fail(specifier, 'the repository name is empty', 'write github:owner/repo');
  checkSegments(specifier, [owner, repo], 'repository path');
  const url = `https://github.com/${owner.toLowerCase()}/${repo.toLowerCase()}`;
  const source: Omit<ProviderSource, 'key'> = { specifier, kind: 'github', host: 'github.com', url, cloneUrl: `${url}.git`, subdir: subdirOf(specifier, dir) };
  return build(ref === undefined ? source : { ...source, ref });
}

function parseHttp(specifier: string, scheme: 'https' | 'http'): ProviderSource {
  const afterScheme = specifier.slice(scheme.length + 3);
  const slash = afterScheme.indexOf('/');
  const authority = slash === -1 ? afterScheme : afterScheme.slice(0, slash);
  const pathPart = slash === -1 ? '' : afterScheme.slice(slash + 1);
  if (authority.includes('@'))
    fail(specifier, 'credentials in the URL would end up in logs and the lockfile', 'pass a token with the `tokens` option or MEDIACONDUIT_GIT_TOKEN instead');
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(authority)) fail(specifier, `host "${authority}" is not a valid host name`, 'check the URL');
  const host = authority.toLowerCase();
  const forbidden = forbiddenHostReason(authority);
  if (forbidden) fail(specifier, forbidden, 'providers are never loaded from such addresses');
  if (scheme === 'http' && !LOOPBACK.test(host)) fail(specifier, 'plain http:// is only allowed for loopback hosts', 'use https://');
  if (pathPart.includes('?') || pathPart.includes('#')) fail(specifier, 'query strings and fragments are not supported', 'put the ref after "@"');
  if (FORBIDDEN_ANYWHERE.test(pathPart.split('@')[0] ?? '')) fail(specifier, 'it contains shell metacharacters', 'use only repository and folder names');

  if (host === 'github.com') {
    const tree = /^([^/]+)\/([^/]+)\/tree\/([^/@]+)(?:\/(.*))?$/.exec(pathPart);
    if (tree) {
      const [, owner = '', repo = '', ref = '', dir] = tree;
      checkRef(specifier, ref);
      return githubSource(specifier, owner, repo, dir ?? '', ref);
    }
    const { body, ref } = splitRef(specifier, pathPart);
    const [owner = '', repo = '', ...dirs] = body.replace(/\/+$/, '').split('/');
    return githubSource(specifier, owner, repo, dirs.join('/'), ref);
  }

  const { body, ref } = splitRef(specifier, pathPart);
  const [repoPathRaw = '', dir] = splitSubdir(body);
  let repoPath = repoPathRaw.replace(/\/+$/, '');
  let subdir = dir;
  // "host/group/repo.git/sub/dir": everything after the ".git" segment is the folder.
  const dotGit = repoPath.indexOf('.git/');
  if (subdir === undefined && dotGit !== -1) {
    subdir = repoPath.slice(dotGit + 5);
    repoPath = repoPath.slice(0, dotGit + 4);
  }
  const segments = repoPath.split('/');
  if (segments.length < 2 || segments.some((s) => s === '')) fail(specifier, 'the URL needs at least an owner and a repository', `write ${scheme}://${host}/owner/repo`);
  checkSegments(specifier, segments, 'repository path');
  const canonicalPath = repoPath.replace(/\.git$/, '');
  const source: Omit<ProviderSource, 'key'> = {
    specifier,
    kind: 'git',
    host,
    url: `${scheme}://${host}/${canonicalPath}`,
    cloneUrl: `${scheme}://${host}/${repoPath}`,
    subdir: subdirOf(specifier, subdir),
  };
  return build(ref === undefined ? source : { ...source, ref });
}

/** Splits "repo//sub/dir" at the "//" separator. */
function splitSubdir(body: string): [string, string | undefined] {
  const index = body.indexOf('//');
  return index === -1 ? [body, undefined] : [body.slice(0, index), body.slice(index + 2)];
}

function parseFile(specifier: string): ProviderSource {
  let rest: string;
  if (specifier.startsWith('file:')) {
    if (!specifier.startsWith('file:///')) fail(specifier, 'a file: URL must be absolute (file:///path)', 'write file:///absolute/path/to/repo');
    rest = specifier.slice('file://'.length);
  } else {
    rest = specifier;
  }
  if (FORBIDDEN_ANYWHERE.test(rest.split('@')[0] ?? '')) fail(specifier, 'it contains shell metacharacters', 'rename the folder or use another path');
  const { body, ref } = splitRef(specifier, rest);
  const [pathRaw = '', dir] = splitSubdir(body);
  let path: string;
  try {
    path = specifier.startsWith('file:') ? fileURLToPath(`file://${pathRaw}`) : pathRaw;
  } catch (error) {
    return fail(specifier, `not a valid file URL (${(error as Error).message})`, 'write file:///absolute/path/to/repo');
  }
  if (!isAbsolute(path)) fail(specifier, 'the path is not absolute', 'use an absolute path');
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.includes('..')) fail(specifier, 'the path contains ".."', 'use the resolved absolute path');
  if (segments.some((s) => s.startsWith('-'))) fail(specifier, 'a folder in the path starts with "-"', 'rename it or use another path');
  const normalized = posix.normalize(resolvePath(path)).replace(/\/+$/, '') || '/';
  const url = pathToFileURL(normalized).href;
  const source: Omit<ProviderSource, 'key'> = { specifier, kind: 'file', url, cloneUrl: url, subdir: subdirOf(specifier, dir) };
  return build(ref === undefined ? source : { ...source, ref });
}
