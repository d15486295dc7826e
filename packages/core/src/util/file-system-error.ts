import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from './errors.js';

const FIXES: Record<string, (path: string) => string> = {
  EACCES: (path) => `permission denied on ${path}; make it writable for this user, or point \`cacheDir\` (MEDIACONDUIT_CACHE_DIR) at a folder this user can write`,
  EPERM: (path) => `operation not permitted on ${path}; make it writable for this user, or point \`cacheDir\` (MEDIACONDUIT_CACHE_DIR) at a folder this user can write`,
  EROFS: (path) => `${path} is on a read-only file system; point \`cacheDir\` (MEDIACONDUIT_CACHE_DIR) and the lockfile at a writable place, or load offline from a complete cache`,
  ENOSPC: (path) => `no space left on the device holding ${path}; free some space, or move the cache with \`cacheDir\` (MEDIACONDUIT_CACHE_DIR)`,
  EDQUOT: (path) => `the disk quota is exceeded on ${path}; free some space, or move the cache with \`cacheDir\``,
  ENOTDIR: (path) => `a part of ${path} is a file, not a folder; point \`cacheDir\` (or the lockfile) at a folder path`,
  EEXIST: (path) => `${path} is a file where a folder was expected; remove it or choose another path`,
  EISDIR: (path) => `${path} is a folder where a file was expected; remove it or choose another path`,
  EMFILE: (path) => `too many open files while working on ${path}; raise the limit (ulimit -n) or load fewer providers at once`,
};

/**
 * A Node file-system error (no permission, read-only, no space, …) as a typed `FILE_SYSTEM_ERROR`
 * naming the path and the fix; anything else is returned unchanged.
 */
export function fileSystemError(operation: string, error: unknown): unknown {
  if (MediaConduitError.isInstance(error) || typeof error !== 'object' || error === null) return error;
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  const fix = code ? FIXES[code] : undefined;
  if (!fix) return error;
  return mcError('FILE_SYSTEM_ERROR', `${operation}: ${syscall ?? 'file operation'} failed (${code}): ${fix(path ?? 'a cache file')}`, {
    cause: error,
    details: { errno: code, ...(path ? { path } : {}), ...(syscall ? { syscall } : {}) },
  });
}
