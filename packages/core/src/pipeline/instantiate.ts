import { pathToFileURL } from 'node:url';
import { type LoggerV1, MediaConduitError, type MediaProviderV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { within } from '../util/within.js';
import { bindContract } from '../build/contract-binding.js';
import { createProviderContext } from '../context/provider-context.js';
import { validateProvider } from './validate-provider.js';
import type { ProviderManifest } from '../manifest/manifest.js';

/** What {@link instantiateProvider} needs. */
export interface InstantiateOptions {
  /** The bundle's bytes, already verified: what is imported. */
  bytes: Uint8Array;
  /** Where the bundle lies in the cache: shown in stack traces, never read again. */
  bundlePath: string;
  manifest: ProviderManifest;
  label: string;
  config: Readonly<Record<string, unknown>>;
  dispatcher: object | undefined;
  logger: LoggerV1;
  /** The registry's signal (aborted on `close()`). */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Longest time for import, factory and `initialize()` together. */
  timeoutMs: number;
  /** The host's clock, handed to the provider as `context.now`. */
  now?: (() => number) | undefined;
  /** The provider's own folder shared by every process (`context.dataDir`). */
  dataDir?: string | undefined;
  /** Origins beyond the manifest's that the secrets the host keeps may go to (the registry's `secretOrigins`). */
  secretOrigins?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Skip the shape check (the conformance kit checks shape itself, problem by problem). */
  skipValidation?: boolean;
}

/**
 * The instantiate step: binds the host's contract, imports the bundle's verified bytes (never the
 * file again: what was hashed is what runs), calls its default export (a factory, or a ready
 * provider), validates the result against the manifest and awaits `initialize()`, all within
 * `timeoutMs`: then `TIMEOUT`, the signal `initialize()` got is aborted, and the provider is disposed.
 *
 * @throws `PROVIDER_LOAD_FAILED` when the provider throws, `INCOMPATIBLE_PROVIDER` when its shape is wrong.
 */
export async function instantiateProvider(options: InstantiateOptions): Promise<MediaProviderV1> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  const created: { provider?: MediaProviderV1 } = {};
  try {
    return await within(
      options.timeoutMs,
      load(options, controller.signal, created),
      () =>
        mcError(
          'TIMEOUT',
          `load ${options.label}: the provider did not finish loading (import, factory, initialize()) within ${options.timeoutMs} ms; raise the \`initializeTimeoutMs\` option, or fix what it waits for`,
          { retryable: true },
        ),
      (error) => {
        controller.abort(error);
        void created.provider?.dispose?.().catch(() => {});
      },
    );
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
}

async function load(options: InstantiateOptions, signal: AbortSignal, created: { provider?: MediaProviderV1 }): Promise<MediaProviderV1> {
  const { label } = options;
  let module: { default?: unknown };
  bindContract();
  try {
    module = (await import(moduleUrl(options.bytes, options.bundlePath))) as { default?: unknown };
  } catch (error) {
    throw loadFailed(label, 'threw while being imported', error);
  }
  const exported = module.default;
  if (exported === undefined) {
    throw mcError(
      'INCOMPATIBLE_PROVIDER',
      `load ${label}: ${options.manifest.entry} has no default export; export a factory: \`export default (context) => createMyProvider(context)\``,
    );
  }
  let value: unknown = exported;
  if (typeof exported === 'function') {
    const context = createProviderContext({
      manifest: options.manifest,
      config: options.config,
      dispatcher: options.dispatcher,
      logger: options.logger,
      signal: options.signal,
      environment: options.env,
      now: options.now,
      dataDir: options.dataDir,
      secretOrigins: options.secretOrigins,
    });
    try {
      value = await (exported as (c: unknown) => unknown)(context);
    } catch (error) {
      throw loadFailed(label, 'factory threw', error);
    }
  }
  const provider = options.skipValidation ? (value as MediaProviderV1) : validateProvider(value, options.manifest, label);
  created.provider = provider;
  if (typeof provider?.initialize === 'function') {
    try {
      await provider.initialize({ signal });
    } catch (error) {
      throw loadFailed(label, 'initialize() failed', error);
    }
  }
  return provider;
}

/**
 * A `data:` URL of the bundle's bytes, so that the import runs exactly the bytes that were hashed:
 * a file could be swapped between the check and the import. Its stack frames name the bundle's
 * file (`sourceURL`), and a second import of the same bytes reuses the module, as for a file URL.
 */
export function moduleUrl(bytes: Uint8Array, path: string): string {
  const source = Buffer.concat([bytes, Buffer.from(`\n//# sourceURL=${pathToFileURL(path).href}\n`)]);
  return `data:text/javascript;base64,${source.toString('base64')}`;
}

/** Codes that say the provider's settings are wrong, not the provider: kept as they are, so that the fix they name is the one shown. */
const SETTINGS_CODES = new Set(['INVALID_OPTIONS', 'MISSING_CONFIGURATION', 'MISSING_API_KEY']);

export function loadFailed(label: string, what: string, error: unknown): MediaConduitError {
  if (MediaConduitError.isInstance(error) && error.code === 'PROVIDER_LOAD_FAILED') return error;
  if (MediaConduitError.isInstance(error) && SETTINGS_CODES.has(error.code)) {
    return mcError(error.code, `load ${label}: the provider refused its settings: ${error.message}`, { cause: error, details: error.details });
  }
  const reason = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return mcError('PROVIDER_LOAD_FAILED', `load ${label}: the provider ${what}: ${reason}`, {
    cause: error,
    ...(MediaConduitError.isInstance(error) ? { details: { providerErrorCode: error.code } } : {}),
  });
}
