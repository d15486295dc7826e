import { isAbsolute, resolve } from 'node:path';

/**
 * Makes a relative local path mean the user's folder: `./acme`, `../repos/acme//providers/x@v1`
 * and `acme@main` (when `acme` is a folder in `cwd`) become absolute paths with the same
 * subfolder and ref. Anything else (URLs, `github:` shorthands, absolute paths) is returned as is.
 */
export function resolveLocalSpecifier(specifier: string, cwd: string, isFolder: (path: string) => boolean): string {
  if (isAbsolute(specifier) || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(specifier)) return specifier;
  const match = /^(.*?)((?:\/\/[^@]*)?(?:@[^/]*)?)$/.exec(specifier);
  const path = match?.[1] ?? specifier;
  const rest = match?.[2] ?? '';
  const explicit = path === '.' || path === '..' || path.startsWith('./') || path.startsWith('../');
  if (!explicit && !isFolder(resolve(cwd, path))) return specifier;
  return resolve(cwd, path) + rest;
}
