import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleProvider } from '../build/bundle-provider.js';
import { bundleEntry } from '../cache/cache-dirs.js';
import { readBundleRecord, type BundleRecord } from '../cache/bundle-record.js';
import { ensureEntry } from '../cache/ensure-entry.js';
import { checkContractRange } from '../load/check-contract-range.js';
import { readManifest } from '../manifest/read-manifest.js';
import type { ProviderSource } from '../source/provider-source.js';
import { mcError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { within } from '../util/within.js';
import { ensureDependencies } from './ensure-dependencies.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';
import type { Pin } from './refs-cache.js';
import { CONTRACT_VERSION } from '@mediaconduit/provider';

/** A built provider ready to import. */
export interface Located {
  record: BundleRecord;
  bundlePath: string;
}

/** Where the bundle comes from. */
export interface BundleSource {
  pin: Pin;
  key: string;
  checkoutDir: string;
  providerDir: string;
  /** The provider folder's tree hash, computed while the bundle is built. */
  tree: Promise<string>;
}

/**
 * The bundle for `at.key`: from the cache, or read manifest → check contract → install → build →
 * publish. `built` says this load wrote it (else it is reused and must be verified).
 */
export async function ensureBundle(env: LoadEnvironment, source: ProviderSource, at: BundleSource): Promise<Located & { built: boolean }> {
  let built = false;
  const label = source.specifier;
  const entryDir = bundleEntry(env.dirs, at.key);
  let manifestRead: ReturnType<typeof readManifest> | undefined;
  const record = await ensureEntry(env.dirs, {
    lock: `bundle:${at.key}`,
    final: entryDir,
    kind: 'bundle',
    waitMs: env.settings.lockWaitMs,
    read: async () => {
      const found = await readBundleRecord(entryDir);
      // Start reading the manifest while the lock is being taken; its errors surface inside the lock.
      if (!found && !manifestRead) {
        manifestRead = readManifest(at.providerDir, label);
        manifestRead.catch(() => {});
      }
      return found;
    },
    onCached: (cached) => env.emit({ specifier: label, phase: 'build', status: 'cached', detail: cached.bundleFile }),
    create: async (temporary) => {
      const manifest = await manifestRead!;
      checkContractRange(manifest, label);
      const dependenciesDir = await ensureDependencies(env, source, at.providerDir);
      await timedStep(env, label, 'build', manifest.entry, async () => {
        const { code, inputs } = await within(
          env.settings.buildTimeoutMs,
          bundleProvider({ checkoutDir: at.checkoutDir, providerDir: at.providerDir, entry: manifest.entry, dependenciesDir, label }),
          () => mcError('TIMEOUT', `build ${label}: esbuild did not finish within ${env.settings.buildTimeoutMs} ms; raise the \`buildTimeoutMs\` option`, { retryable: true }),
        );
        const hash = sha256(code);
        const bundleFile = `provider-${hash.slice(0, 16)}.mjs`;
        const written: BundleRecord = {
          format: 2,
          key: at.key,
          url: source.url,
          commit: at.pin.commit,
          subdir: source.subdir,
          tree: await at.tree,
          bundleFile,
          sha256: hash,
          manifest,
          inputs,
          contract: CONTRACT_VERSION,
          builtAt: new Date().toISOString(),
        };
        await writeFile(join(temporary, bundleFile), code);
        await writeFile(join(temporary, 'record.json'), JSON.stringify(written, null, 2));
        built = true;
      });
    },
  });
  return { record, bundlePath: join(entryDir, record.bundleFile), built };
}
