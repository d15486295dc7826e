import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTRACT_VERSION } from '@mediaconduit/provider';
import { bundleProvider } from '../build/bundle-provider.js';
import type { BundleRecord } from '../cache/bundle-record.js';
import { readBundleRecord } from '../cache/bundle-record.js';
import { bundleEntry } from '../cache/cache-dirs.js';
import { ensureEntry } from '../cache/ensure-entry.js';
import { ensurePackageBoundary } from '../cache/package-boundary.js';
import type { Pin } from '../cache/refs-cache.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import type { ProviderSource } from '../source/provider-source.js';
import { mcError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';
import { readVerifiedBundle, type VerifiedBundle, type VerifiedCheckout } from './verify.js';

/** What the build step bundles. */
export interface BuildInput {
  pin: Pin;
  /** The bundle's cache key (see `bundleKey`). */
  key: string;
  checkout: VerifiedCheckout;
  /** The manifest, being read: it is parsed while this step takes its lock, and awaited only once the step builds. */
  manifest: Promise<ProviderManifest>;
  /** Installs the dependencies (once the step builds, under its lock); resolves to their entry, if the provider has any. */
  dependencies: () => Promise<string | undefined>;
}

/**
 * The build step: esbuild bundles the manifest's entry into one ESM file, with the contract bound
 * to the host's copy and every input confined to the checkout (and the installed dependencies),
 * within `buildTimeoutMs` (esbuild's work is cancelled when it fires). The bundle and its record
 * are published as one cache entry. A bundle another process published meanwhile is reused, and
 * checked against its record like any cached one.
 */
export async function buildBundle(env: LoadEnvironment, source: ProviderSource, input: BuildInput): Promise<VerifiedBundle> {
  const label = source.specifier;
  const entryDir = bundleEntry(env.dirs, input.key);
  let built: VerifiedBundle | undefined;
  const record = await ensureEntry(env.dirs, {
    lock: `bundle:${input.key}`,
    final: entryDir,
    kind: 'bundle',
    waitMs: env.settings.lockWaitMs,
    signal: env.signal,
    read: async () => readBundleRecord(entryDir),
    onCached: (cached) => env.emit({ specifier: label, phase: 'build', status: 'cached', detail: cached.bundleFile }),
    create: async (temporary) => {
      const manifest = await input.manifest;
      const dependenciesDir = await input.dependencies();
      await ensurePackageBoundary(env.dirs);
      return timedStep(env, label, 'build', manifest.entry, async () => {
        const { code, inputs } = await bundleProvider({
          checkoutDir: input.checkout.checkoutDir,
          providerDir: input.checkout.providerDir,
          entry: manifest.entry,
          dependenciesDir,
          label,
          timeoutMs: env.settings.buildTimeoutMs,
          signal: env.signal,
        });
        const hash = sha256(code);
        const bundleFile = `provider-${hash.slice(0, 16)}.mjs`;
        const written: BundleRecord = {
          format: 2,
          key: input.key,
          url: source.url,
          commit: input.pin.commit,
          subdir: source.subdir,
          tree: input.checkout.tree,
          bundleFile,
          sha256: hash,
          manifest,
          inputs,
          contract: CONTRACT_VERSION,
          builtAt: new Date().toISOString(),
        };
        await writeFile(join(temporary, bundleFile), code);
        await writeFile(join(temporary, 'record.json'), JSON.stringify(written, null, 2));
        built = { record: written, path: join(entryDir, bundleFile), bytes: Buffer.from(code.buffer, code.byteOffset, code.byteLength) };
      });
    },
  });
  // Built here: the bytes in hand are the ones just hashed. Else another process built it: checked like any cached bundle.
  if (built && built.record.sha256 === record.sha256) return built;
  return readVerifiedBundle(label, entryDir, record, record.sha256) ?? missing(label, entryDir);
}

function missing(label: string, entryDir: string): never {
  throw mcError('NOT_CACHED', `build ${label}: the bundle in ${entryDir} vanished right after it was published; another process may be cleaning the cache: load again`, {
    retryable: true,
  });
}
