import { bundleKey } from '../cache/bundle-record.js';
import { CACHE_FIX } from '../cache/cache-dirs.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProviderSource } from '../source/provider-source.js';
import { mcError } from '../util/errors.js';
import type { LoadEnvironment } from './load-environment.js';
import { cachedBundle, type VerifiedBundle } from './verify.js';

/**
 * The warm path: lockfile entry → bundle record → the bundle's bytes, checked against the
 * lockfile's hash. No network, no child process, none of esbuild, zod, js-yaml or semver.
 * `undefined` when something is missing (the cold path takes over). `refreshed` is the entry with
 * a new bundle hash when the bundle was rebuilt for another contract or build settings (derived
 * data, not a pin).
 */
export function warmLoad(env: LoadEnvironment, source: ProviderSource, entry: LockEntry): (VerifiedBundle & { refreshed?: LockEntry }) | undefined {
  const key = bundleKey(source.url, entry.commit, entry.subdir);
  const sameKey = entry.bundle.key === key;
  const bundle = cachedBundle(env, source, key, (record) => (sameKey ? entry.bundle.sha256 : record.sha256));
  if (!bundle) return undefined;
  if (bundle.record.commit !== entry.commit) {
    throw mcError(
      'INTEGRITY_MISMATCH',
      `load ${source.specifier}: the cached bundle ${bundle.path} records commit ${bundle.record.commit}, but the lockfile pins ${entry.commit}; ${CACHE_FIX}`,
      { details: { expected: entry.commit, actual: bundle.record.commit, path: bundle.path } },
    );
  }
  return sameKey ? bundle : { ...bundle, refreshed: { ...entry, bundle: { key, sha256: bundle.record.sha256 } } };
}
