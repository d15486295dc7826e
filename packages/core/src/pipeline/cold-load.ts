import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { mcError } from '../util/errors.js';
import { bundleKey } from '../cache/bundle-record.js';
import { sha256 } from '../util/hash.js';
import { gitTreeHash } from '../git/tree-hash.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProviderSource } from '../source/provider-source.js';
import type { Located } from './ensure-bundle.js';
import { type Checkout, ensureCheckout, hasCheckout, resolveAndFetch } from './ensure-checkout.js';
import { readCheckoutRecord } from '../cache/checkout-record.js';
import type { LoadEnvironment } from './load-environment.js';
import type { Pin } from './refs-cache.js';
import { checkTagNotMoved } from './resolve-pin.js';

/**
 * Loads a provider the slow way: resolve (unless pinned) → fetch → verify → manifest → install →
 * build. Returns the bundle and the lockfile entry that describes it; the caller (the registry,
 * the only writer of the lockfile) decides whether to record it.
 */
export async function coldLoad(
  loadEnv: LoadEnvironment,
  source: ProviderSource,
  locked: LockEntry | undefined,
  options: { pin?: Pin } = {},
): Promise<Located & { entry: LockEntry }> {
  const label = source.specifier;
  // The build side (manifest, install, esbuild) is imported once git runs, while this thread
  // would only wait for it; at the latest when it is needed. (Starting esbuild's service or
  // running the manifest checks on a sample at the same time measured slower: on two cores that
  // work competes with git.)
  let bundling: Promise<typeof import('./ensure-bundle.js')> | undefined;
  const buildSide = () => {
    if (!bundling) {
      bundling = import('./ensure-bundle.js');
      bundling.catch(() => {});
    }
    return bundling;
  };
  const env: LoadEnvironment = { ...loadEnv, onGitStarted: () => void buildSide() };
  let pin: Pin;
  let fetchedCheckout: Checkout;
  const given = options.pin ?? locked;
  if (given) {
    pin = given;
    if (locked && !(await hasCheckout(env, source, pin.commit))) await checkTagNotMoved(env, source, locked);
    fetchedCheckout = await ensureCheckout(env, source, pin);
  } else {
    ({ pin, checkout: fetchedCheckout } = await resolveAndFetch(env, source));
  }
  const checkout = fetchedCheckout.path;
  const checkoutDir = join(checkout, 'tree');
  // A checkout this load did not fetch is reused: its files must still be the ones fetched.
  const rootTree = fetchedCheckout.fetched ? (await readCheckoutRecord(checkout))?.tree : await verifyCheckout(label, checkout, pin.commit);
  const providerDir = source.subdir ? join(checkoutDir, source.subdir) : checkoutDir;
  if (
    !(await stat(providerDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw mcError('INVALID_MANIFEST', `load ${label}: folder "${source.subdir}" does not exist at commit ${pin.commit.slice(0, 12)}; check the subfolder in the specifier`);
  }
  // Hash the files while the bundle is built (the checkout's own hash when the provider is the whole
  // repository); the integrity check still runs before anything is imported.
  const treePromise = !source.subdir && rootTree ? Promise.resolve(rootTree) : gitTreeHash(providerDir);
  treePromise.catch(() => {});
  const key = bundleKey(source.url, pin.commit, source.subdir);
  const { built, ...located } = await (await buildSide()).ensureBundle(env, source, { pin, key, checkoutDir, providerDir, tree: treePromise });
  // A bundle this load did not build is reused: its bytes must still hash to its record.
  if (!built) await verifyBundle(label, located);
  const tree = await treePromise;
  if (locked && locked.commit === pin.commit && tree !== locked.tree) {
    throw mcError(
      'INTEGRITY_MISMATCH',
      `load ${label}: the cached checkout of ${pin.commit.slice(0, 12)} was modified: the lockfile expects tree ${locked.tree} but the files hash to ${tree}; delete ${checkout} to fetch it again`,
      {
        details: { expected: locked.tree, actual: tree, path: checkout },
      },
    );
  }
  if (located.record.tree !== tree) {
    throw mcError(
      'INTEGRITY_MISMATCH',
      `load ${label}: the cached bundle was built from tree ${located.record.tree} but the checkout hashes to ${tree}; delete ${checkout} and ${dirname(located.bundlePath)} to rebuild`,
      {
        details: { expected: located.record.tree, actual: tree },
      },
    );
  }
  const entry: LockEntry = {
    url: source.url,
    subdir: source.subdir,
    ref: source.ref ?? null,
    resolved: pin.resolved,
    resolvedKind: pin.resolvedKind,
    commit: pin.commit,
    tree,
    bundle: { key, sha256: located.record.sha256 },
    provider: { id: located.record.manifest.id, version: located.record.manifest.version },
  };
  return { ...located, entry };
}

/** The tree hash of a reused checkout; `INTEGRITY_MISMATCH` when its files differ from what was fetched. */
async function verifyCheckout(label: string, checkout: string, commit: string): Promise<string> {
  const record = await readCheckoutRecord(checkout);
  const actual = await gitTreeHash(join(checkout, 'tree'));
  if (record && actual === record.tree) return actual;
  throw mcError(
    'INTEGRITY_MISMATCH',
    `load ${label}: the cached checkout of ${commit.slice(0, 12)} was modified: it was fetched as tree ${record?.tree ?? '(no record)'} but its files now hash to ${actual}; run \`mediaconduit cache verify --fix\` (or delete ${checkout}) to fetch it again`,
    { details: { expected: record?.tree, actual, path: checkout } },
  );
}

/** Fails with `INTEGRITY_MISMATCH` when a bundle's bytes differ from the hash in its own record. */
async function verifyBundle(label: string, located: Located): Promise<void> {
  const actual = sha256(await readFile(located.bundlePath));
  if (actual === located.record.sha256) return;
  throw mcError(
    'INTEGRITY_MISMATCH',
    `load ${label}: the cached bundle ${located.bundlePath} was modified: its record says sha256 ${located.record.sha256} but it hashes to ${actual}; run \`mediaconduit cache verify --fix\` (or delete ${dirname(located.bundlePath)}) to rebuild it`,
    { details: { expected: located.record.sha256, actual, path: located.bundlePath } },
  );
}
