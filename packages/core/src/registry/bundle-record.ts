import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILD_SETTINGS_ID } from './build-settings-id.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import { CORE_VERSION } from '../version.js';
import { sha256 } from '../util/hash.js';

/** The small record beside a cached bundle: everything a warm load needs besides the bundle. */
export interface BundleRecord {
  format: 1;
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
  core: string;
  builtAt: string;
}

/**
 * The key of a bundle: what it was built from (commit and folder), against which core
 * (version and export names) and with which build settings. Cheap: no esbuild needed.
 */
export function bundleKey(url: string, commit: string, subdir: string, coreExports: readonly string[]): string {
  return sha256(JSON.stringify([url, commit, subdir, CORE_VERSION, coreExports.join(','), BUILD_SETTINGS_ID])).slice(0, 32);
}

/** Reads a bundle record; `undefined` when the entry does not exist or is unreadable. */
export async function readBundleRecord(entryDir: string): Promise<BundleRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(join(entryDir, 'record.json'), 'utf8')) as BundleRecord;
    return record.format === 1 ? record : undefined;
  } catch {
    return undefined;
  }
}
