import { join } from 'node:path';
import { CONTRACT_VERSION } from '@mediaconduit/provider';
import { BUILD_SETTINGS_ID } from '../build/build-settings-id.js';
import { CONTRACT_EXPORTS } from '../build/contract-binding.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import { sha256 } from '../util/hash.js';
import { readCappedSync } from '../util/read-capped.js';
import { CACHE_FIX } from './cache-dirs.js';

/** The small record beside a cached bundle: everything a warm load needs besides the bundle. */
export interface BundleRecord {
  format: 2;
  key: string;
  url: string;
  commit: string;
  subdir: string;
  /** git tree id of the provider folder. */
  tree: string;
  /** File name of the bundle in the same folder (content-hashed). */
  bundleFile: string;
  /** SHA-256 of the bundle. */
  sha256: string;
  manifest: ProviderManifest;
  /** Input files esbuild read, relative to the checkout. */
  inputs: string[];
  /** Version of the provider contract the bundle is bound to. */
  contract: string;
  builtAt: string;
}

/**
 * The key of a bundle: what it was built from (commit and folder), against which contract
 * (version and export names) and with which build settings. The loader's own version and
 * exports are not part of it, so a new core or CLI release rebuilds nothing. No esbuild needed.
 */
export function bundleKey(url: string, commit: string, subdir: string): string {
  return sha256(JSON.stringify([url, commit, subdir, CONTRACT_VERSION, CONTRACT_EXPORTS.join(','), BUILD_SETTINGS_ID])).slice(0, 32);
}

/** Largest record read: it lists the files esbuild read, which a provider with many dependencies has thousands of. */
const MAX_RECORD_BYTES = 8 * 1024 * 1024;

/**
 * Reads a bundle record (synchronously: it is small, and on the warm path); `undefined` when the
 * entry does not exist or its record is not whole. A record that is a link or a special file (a
 * modified cache) is `INTEGRITY_MISMATCH`.
 */
export function readBundleRecord(entryDir: string): BundleRecord | undefined {
  const path = join(entryDir, 'record.json');
  const bytes = readCappedSync(path, { maxBytes: MAX_RECORD_BYTES, code: 'INTEGRITY_MISMATCH', what: `the cache record ${path}`, fix: CACHE_FIX });
  if (!bytes) return undefined;
  try {
    const record = JSON.parse(bytes.toString('utf8')) as BundleRecord;
    return record?.format === 2 && typeof record.bundleFile === 'string' && /^provider-[0-9a-f]{16}\.mjs$/.test(record.bundleFile) ? record : undefined;
  } catch {
    return undefined;
  }
}
