import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { LoggerV1, MediaProviderV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { bundleProvider } from '../build/bundle-provider.js';
import { providerDependencies } from '../build/install-dependencies.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import { readManifest } from '../manifest/read-manifest.js';
import { createLogger } from '../util/logger.js';
import { checkContractRange } from '../manifest/check-contract-range.js';
import { instantiateProvider } from '../pipeline/instantiate.js';

/** A provider loaded straight from a folder on disk. */
export interface FolderProvider {
  provider: MediaProviderV1;
  manifest: ProviderManifest;
  /** Files esbuild read, relative to the repository root. */
  inputs: string[];
  /** Disposes the provider. */
  close(): Promise<void>;
}

/** Options of {@link loadProviderFromFolder}. */
export interface LoadFolderOptions {
  /** Settings for the provider's factory, as in `getProvider(url, { config })`. */
  config?: Readonly<Record<string, unknown>>;
  /** Longest time for import, factory and `initialize()` together. Default 60 000 ms. */
  initializeTimeoutMs?: number;
  /** Longest time for the build. Default 120 000 ms. */
  buildTimeoutMs?: number;
  /** Environment for declared variables. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  logger?: LoggerV1;
  /** Skip the shape check, so that a checker can inspect a broken provider. */
  skipValidation?: boolean;
  /** Called after each step, with the error of a failed one. */
  onStep?: (step: 'manifest' | 'build' | 'load', error?: unknown) => void;
}

/** The enclosing Git repository's root (inputs may come from anywhere inside it), else the folder. */
async function repositoryRoot(dir: string): Promise<string> {
  for (let current = dir; ; current = dirname(current)) {
    if (
      await stat(join(current, '.git')).then(
        () => true,
        () => false,
      )
    )
      return current;
    if (dirname(current) === current) return dir;
  }
}

/**
 * Loads the provider in a local folder (uncommitted changes included) without Git or the cache:
 * manifest, build, import, create. For provider authors' tests and `mediaconduit validate`.
 * Dependencies must already be installed in the folder (`npm install`).
 */
export async function loadProviderFromFolder(folder: string, options: LoadFolderOptions = {}): Promise<FolderProvider> {
  const dir = resolve(folder);
  const step = async <T>(name: 'manifest' | 'build' | 'load', work: () => Promise<T>): Promise<T> => {
    try {
      const result = await work();
      options.onStep?.(name);
      return result;
    } catch (error) {
      options.onStep?.(name, error);
      throw error;
    }
  };
  const manifest = await step('manifest', async () => {
    const read = await readManifest(dir, dir);
    checkContractRange(read, dir);
    return read;
  });
  const controller = new AbortController();
  const { code, inputs } = await step('build', async () => {
    const deps = await providerDependencies(dir, dir);
    if (
      deps.names.length > 0 &&
      !(await stat(join(dir, 'node_modules')).then(
        () => true,
        () => false,
      ))
    ) {
      throw mcError('INSTALL_FAILED', `provider ${manifest.id} depends on ${deps.names.join(', ')}; run "npm install" in ${dir} first`);
    }
    return bundleProvider({
      checkoutDir: await repositoryRoot(dir),
      providerDir: dir,
      entry: manifest.entry,
      dependenciesDir: deps.names.length > 0 ? dir : undefined,
      label: dir,
      timeoutMs: options.buildTimeoutMs ?? 120_000,
    });
  });
  const provider = await step('load', () =>
    instantiateProvider({
      bytes: code,
      bundlePath: join(dir, 'provider.bundle.mjs'),
      manifest,
      label: dir,
      config: options.config ?? {},
      dispatcher: undefined,
      logger: options.logger ?? createLogger(`provider:${manifest.id}`),
      signal: controller.signal,
      env: options.env ?? process.env,
      timeoutMs: options.initializeTimeoutMs ?? 60_000,
      ...(options.skipValidation ? { skipValidation: true } : {}),
    }),
  );
  return {
    provider,
    manifest,
    inputs,
    async close() {
      controller.abort();
      await (typeof provider?.dispose === 'function' ? provider.dispose().catch(() => {}) : undefined);
    },
  };
}
