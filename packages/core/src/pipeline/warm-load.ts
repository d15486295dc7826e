import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mcError } from '../util/errors.js';
import { bundleKey, readBundleRecord } from '../cache/bundle-record.js';
import { bundleEntry } from '../cache/cache-dirs.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProviderSource } from '../source/provider-source.js';
import { sha256 } from '../util/hash.js';
import type { Located } from './ensure-bundle.js';
import type { LoadEnvironment } from './load-environment.js';

/**
 * The warm path: lockfile entry → bundle record → bundle whose hash is checked. No network, no
 * child process, none of esbuild, zod, js-yaml or semver. `undefined` when something
 * is missing (the cold path takes over). `refreshed` is the entry with a new bundle hash when the
 * bundle was rebuilt for another contract or build settings (derived data, not a pin).
 */
export async function warmLoad(env: LoadEnvironment, source: ProviderSource, entry: LockEntry): Promise<(Located & { refreshed?: LockEntry }) | undefined> {
  const key = bundleKey(source.url, entry.commit, entry.subdir);
  const dir = bundleEntry(env.dirs, key);
  const record = await readBundleRecord(dir);
  if (!record) return undefined;
  const bundlePath = join(dir, record.bundleFile);
  // Small local files on the hot path are read synchronously: four thread-pool round trips per
  // asynchronous read cost more than the read itself.
  const bytes = readOrUndefined(bundlePath);
  if (!bytes) return undefined;
  const actual = sha256(bytes);
  const expected = entry.bundle.key === key ? entry.bundle.sha256 : record.sha256;
  if (actual !== expected || record.commit !== entry.commit) {
    throw mcError(
      'INTEGRITY_MISMATCH',
      `load ${source.specifier}: the cached bundle ${bundlePath} was modified: expected sha256 ${expected} but it hashes to ${actual}; delete ${dir} to rebuild it`,
      {
        details: { expected, actual, path: bundlePath },
      },
    );
  }
  env.emit({ specifier: source.specifier, phase: 'build', status: 'cached', detail: record.bundleFile });
  return entry.bundle.key === key ? { record, bundlePath } : { record, bundlePath, refreshed: { ...entry, bundle: { key, sha256: actual } } };
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
