import { lstat, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { type BundleRecord, readBundleRecord } from '../cache/bundle-record.js';
import { bundleEntry, CACHE_FIX } from '../cache/cache-dirs.js';
import { readCheckoutRecord } from '../cache/checkout-record.js';
import { readDependenciesRecord } from '../cache/dependencies-record.js';
import { gitTreeHash } from '../git/tree-hash.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProviderSource } from '../source/provider-source.js';
import { mcError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { readCappedSync } from '../util/read-capped.js';
import type { Checkout } from './fetch.js';
import type { LoadEnvironment } from './load-environment.js';

// The verify step: the one place that checks what the cache holds before anything of it is used,
// for the warm path and the cold path alike. Nothing the cache holds runs without its hash checked,
// and the bytes that are hashed are the bytes that run.

/** A bundle ready to import: its record, where it lies (for messages), and its bytes, already hashed. */
export interface VerifiedBundle {
  record: BundleRecord;
  path: string;
  bytes: Buffer;
}

/** Largest bundle read. */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

/**
 * Reads a cached bundle once and checks those bytes against `expected` (the lockfile's hash, or the
 * record's): the bytes returned are the ones hashed, and the ones the import runs, so a file
 * swapped after the check never runs. `undefined` when the bundle file is missing.
 *
 * @throws `INTEGRITY_MISMATCH` naming both hashes, or for a bundle that is a link or special file.
 */
export function readVerifiedBundle(label: string, entryDir: string, record: BundleRecord, expected: string): VerifiedBundle | undefined {
  const path = join(entryDir, record.bundleFile);
  const bytes = readCappedSync(path, { maxBytes: MAX_BUNDLE_BYTES, code: 'INTEGRITY_MISMATCH', what: `load ${label}: the cached bundle ${path}`, fix: CACHE_FIX });
  if (!bytes) return undefined;
  const actual = sha256(bytes);
  if (actual !== expected) {
    throw mcError('INTEGRITY_MISMATCH', `load ${label}: the cached bundle ${path} was modified: expected sha256 ${expected} but it hashes to ${actual}; ${CACHE_FIX}`, {
      details: { expected, actual, path },
    });
  }
  return { record, path, bytes };
}

/**
 * The cached bundle of `key`, its bytes checked against `expected` (default: its own record's
 * hash); `undefined` when it is not in the cache. Small local files on this path are read
 * synchronously: four thread-pool round trips per asynchronous read cost more than the read itself.
 */
export function cachedBundle(
  env: LoadEnvironment,
  source: ProviderSource,
  key: string,
  expected: (record: BundleRecord) => string = (record) => record.sha256,
): VerifiedBundle | undefined {
  const dir = bundleEntry(env.dirs, key);
  const record = readBundleRecord(dir);
  if (!record) return undefined;
  const bundle = readVerifiedBundle(source.specifier, dir, record, expected(record));
  if (bundle) env.emit({ specifier: source.specifier, phase: 'build', status: 'cached', detail: record.bundleFile });
  return bundle;
}

/** Where a verified checkout's provider lies, and the tree hash of its folder. */
export interface VerifiedCheckout {
  /** The checkout's files (every input of the build must lie inside). */
  checkoutDir: string;
  /** The provider folder inside it. */
  providerDir: string;
  /** Tree hash of the provider folder. */
  tree: string;
}

/**
 * Checks a checkout before anything reads it: a reused one must still hash to the tree recorded
 * when it was fetched (and hold no link leading out and no special file); the provider folder must
 * be a real folder of it, whose links stay inside it; and when the lockfile pins this commit, the
 * folder must hash to the tree it pins.
 *
 * @throws `INTEGRITY_MISMATCH` naming both hashes, `UNSAFE_CHECKOUT` for a link leaving the provider
 * folder, `INVALID_MANIFEST` when the subfolder does not exist.
 */
export async function verifyCheckout(source: ProviderSource, checkout: Checkout, locked: LockEntry | undefined): Promise<VerifiedCheckout> {
  const label = source.specifier;
  const checkoutDir = join(checkout.path, 'tree');
  const record = await readCheckoutRecord(checkout.path);
  let rootTree = record?.tree;
  if (!checkout.fetched) {
    const actual = await gitTreeHash(checkoutDir, { label: `load ${label}` }).catch((error: unknown) => {
      // A record is written only for a checkout that passed this check when it was fetched.
      if (MediaConduitError.hasCode(error, 'UNSAFE_CHECKOUT')) return `unsafe (${error.message.split('\n').slice(1, -1).join('; ').trim()})`;
      throw error;
    });
    if (!record || actual !== record.tree) {
      throw mcError(
        'INTEGRITY_MISMATCH',
        `load ${label}: the cached checkout of ${checkout.pin.commit.slice(0, 12)} was modified: it was fetched as tree ${record?.tree ?? '(no record)'} but its files now hash to ${actual}; ${CACHE_FIX} (or delete ${checkout.path})`,
        { details: { expected: record?.tree, actual, path: checkout.path } },
      );
    }
    rootTree = actual;
  }
  const providerDir = source.subdir ? join(checkoutDir, source.subdir) : checkoutDir;
  if (source.subdir) await checkSubfolder(source, checkoutDir, providerDir, checkout.pin.commit);
  // A provider folder's links stay inside it (the checkout's were checked when it was fetched).
  const tree = source.subdir || !rootTree ? await gitTreeHash(providerDir, { root: providerDir, label: `load ${label}` }) : rootTree;
  if (locked && locked.commit === checkout.pin.commit && tree !== locked.tree) {
    throw mcError(
      'INTEGRITY_MISMATCH',
      `load ${label}: the cached checkout of ${checkout.pin.commit.slice(0, 12)} was modified: the lockfile expects tree ${locked.tree} but the files hash to ${tree}; delete ${checkout.path} to fetch it again`,
      { details: { expected: locked.tree, actual: tree, path: checkout.path } },
    );
  }
  return { checkoutDir, providerDir, tree };
}

/** The specifier's subfolder must be a folder of the checkout, reached through no link. */
async function checkSubfolder(source: ProviderSource, checkoutDir: string, providerDir: string, commit: string): Promise<void> {
  const stat = await lstat(providerDir).catch(() => undefined);
  const real = stat?.isDirectory() ? await realpath(providerDir).catch(() => undefined) : undefined;
  if (real === undefined || real !== join(await realpath(checkoutDir), source.subdir)) {
    throw mcError(
      'INVALID_MANIFEST',
      `load ${source.specifier}: folder "${source.subdir}" does not exist at commit ${commit.slice(0, 12)}${stat && !stat.isDirectory() ? ' (it is a file or a link)' : ''}; check the subfolder in the specifier`,
    );
  }
}

/**
 * Checks that a bundle fits the checkout it is used for: built from the same tree, and, when it
 * was built again under the key the lockfile pins, to the same bytes the lockfile pins (a build is
 * reproducible, so different bytes mean different inputs, such as modified dependencies). Only
 * `update` moves a pin.
 *
 * @throws `INTEGRITY_MISMATCH` naming both hashes.
 */
export function checkBundleFits(label: string, bundle: VerifiedBundle, tree: string, locked: LockEntry | undefined, key: string): void {
  if (bundle.record.tree !== tree) {
    throw mcError('INTEGRITY_MISMATCH', `load ${label}: the cached bundle was built from tree ${bundle.record.tree} but the checkout hashes to ${tree}; ${CACHE_FIX}`, {
      details: { expected: bundle.record.tree, actual: tree, path: bundle.path },
    });
  }
  if (locked && locked.commit === bundle.record.commit && locked.bundle.key === key && locked.bundle.sha256 !== bundle.record.sha256) {
    throw mcError(
      'INTEGRITY_MISMATCH',
      `load ${label}: the bundle built now hashes to ${bundle.record.sha256}, but the lockfile pins ${locked.bundle.sha256} for the same commit and build settings, so its inputs differ from when it was pinned (modified dependencies in the cache, or a changed registry); ${CACHE_FIX}, or run \`mediaconduit update\` if the change is intended`,
      { details: { expected: locked.bundle.sha256, actual: bundle.record.sha256, path: bundle.path } },
    );
  }
}

/**
 * Checks installed dependencies about to be reused: their files must still hash to the tree
 * recorded when they were installed.
 *
 * @throws `INTEGRITY_MISMATCH` naming both hashes.
 */
export async function verifyDependencies(label: string, entry: string): Promise<void> {
  const record = await readDependenciesRecord(entry);
  const nodeModules = join(entry, 'node_modules');
  const actual = await gitTreeHash(nodeModules, { root: entry, label: `load ${label}` }).catch((error: unknown) => {
    if (MediaConduitError.hasCode(error, 'UNSAFE_CHECKOUT')) return 'unsafe (a link or special file was added)';
    throw error;
  });
  if (record && actual === record.tree) return;
  throw mcError(
    'INTEGRITY_MISMATCH',
    `load ${label}: the cached dependencies ${entry} were modified: they were installed as tree ${record?.tree ?? '(no record)'} but their files now hash to ${actual}; ${CACHE_FIX}`,
    { details: { expected: record?.tree, actual, path: entry } },
  );
}
