import { bundleKey } from '../cache/bundle-record.js';
import type { Pin } from '../cache/refs-cache.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProviderSource } from '../source/provider-source.js';
import { fetchCheckout, hasCheckout } from './fetch.js';
import type { LoadEnvironment } from './load-environment.js';
import { resolve } from './resolve.js';
import { cachedBundle, checkBundleFits, type VerifiedBundle, verifyCheckout } from './verify.js';

/**
 * The slow way to a bundle: resolve (unless pinned) → fetch → verify → manifest → install →
 * build, each step a module of its own. Returns the verified bundle and the lockfile entry that
 * describes it; the caller (the registry, the only writer of the lockfile) decides whether to
 * record it. `pin`: the commit to load (from `update`), instead of the lockfile's or a resolution.
 */
export async function coldLoad(
  loadEnv: LoadEnvironment,
  source: ProviderSource,
  locked: LockEntry | undefined,
  options: { pin?: Pin } = {},
): Promise<VerifiedBundle & { entry: LockEntry }> {
  const { env, buildSide } = withBuildSide(loadEnv);
  const resolution = options.pin ?? (await resolve(env, source, locked, (commit) => hasCheckout(env, source, commit)));
  const checkout = await fetchCheckout(env, source, resolution);
  const verified = await verifyCheckout(source, checkout, locked);
  const key = bundleKey(source.url, checkout.pin.commit, source.subdir);
  let bundle = cachedBundle(env, source, key);
  if (!bundle) {
    const { readProviderManifest, ensureDependencies, buildBundle } = await buildSide();
    // The manifest is parsed while the build step takes its lock; the dependencies are installed under it.
    const manifest = readProviderManifest(source, verified.providerDir);
    manifest.then((read) => loadEnv.onManifestId?.(read.id)).catch(() => {}); // awaited by the build step; unused when another process built the bundle meanwhile
    const dependencies = () => ensureDependencies(env, source, verified.providerDir);
    bundle = await buildBundle(env, source, { pin: checkout.pin, key, checkout: verified, manifest, dependencies });
  }
  checkBundleFits(source.specifier, bundle, verified.tree, locked, key);
  const { pin } = checkout;
  const entry: LockEntry = {
    url: source.url,
    subdir: source.subdir,
    ref: source.ref ?? null,
    resolved: pin.resolved,
    resolvedKind: pin.resolvedKind,
    commit: pin.commit,
    tree: verified.tree,
    bundle: { key, sha256: bundle.record.sha256 },
    provider: { id: bundle.record.manifest.id, version: bundle.record.manifest.version },
  };
  return { ...bundle, entry };
}

/**
 * The build side (manifest, install, esbuild: its own lazily loaded chunk) is imported as soon as
 * this load's first git process runs, while this thread would only wait for git; at the latest
 * when it is needed.
 */
function withBuildSide(loadEnv: LoadEnvironment) {
  let loading: Promise<typeof import('./build-side.js')> | undefined;
  const buildSide = () => {
    if (!loading) {
      loading = import('./build-side.js');
      loading.catch(() => {});
    }
    return loading;
  };
  // Once, while git runs: the chunk (with it esbuild's API, which loads node:crypto, needed by the
  // checkout's tree hash as soon as git is done), a first manifest parse (see warmUpManifest) and
  // esbuild's service process (see startBuildService). Each would otherwise lie between git's end
  // and the build.
  let started = false;
  const onGitStarted = () => {
    if (started) return;
    started = true;
    buildSide()
      .then((side) => Promise.all([side.warmUpManifest(), side.startBuildService()]))
      .catch(() => {}); // neither fails; a chunk that cannot load is the build step's to report
  };
  return { env: { ...loadEnv, onGitStarted } satisfies LoadEnvironment, buildSide };
}
