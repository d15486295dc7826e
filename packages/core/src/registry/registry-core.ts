import type { MediaProviderV1 } from '@mediaconduit/provider';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { LockfileStore } from '../lockfile/lockfile-store.js';
import type { LoadEnvironment } from '../pipeline/load-environment.js';
import type { VerifiedBundle } from '../pipeline/verify.js';
import type { ProviderSource } from '../source/provider-source.js';
import type { IsolationMode, ResolvedRegistryOptions } from './registry-options.js';
import type { Secrets } from './secrets.js';

/** A lockfile entry to record once its provider has loaded. */
export interface ToRecord {
  entry: LockEntry;
  /** Nothing pinned changed (only derived data, such as the bundle hash). */
  derivedOnly: boolean;
}

/** A bundle found on the warm or the cold path, with the lockfile entry to record for it, if any. */
export type Located = VerifiedBundle & { toRecord?: ToRecord };

/** Options of one `getProvider` call. */
export interface GetProviderOptions {
  /** Settings for the provider's factory (`apiKey`, `baseURL`, `env` overrides, …). Part of the instance's identity. */
  config?: Readonly<Record<string, unknown>>;
  /** Stops waiting for this call (the shared load goes on for other callers). */
  signal?: AbortSignal;
  /** Where this provider runs (see the registry's `isolation` option); part of the instance's identity. */
  isolation?: IsolationMode;
}

/**
 * What the registry's parts (loading; update and prepare; training jobs) share: its state and the
 * steps of a load. Internal: applications see `ProviderRegistry`.
 */
export interface RegistryCore {
  readonly options: Readonly<ResolvedRegistryOptions>;
  readonly env: LoadEnvironment;
  readonly lock: LockfileStore;
  readonly secrets: Secrets;
  /** Parses a specifier and applies `allowedHosts`. */
  parse(specifier: string): ProviderSource;
  /** The warm path; `undefined` when something is missing. */
  warm(source: ProviderSource, locked: LockEntry, env?: LoadEnvironment): Located | undefined;
  /** The cold path (its code imported only when needed). */
  cold(source: ProviderSource, locked: LockEntry | undefined, env?: LoadEnvironment): Promise<Located & { toRecord: ToRecord }>;
  /** The only writer of the lockfile. */
  record(source: ProviderSource, entry: LockEntry, derivedOnly: boolean): Promise<void>;
  /** Drops the loaded instances of `source`, so that the next `getProvider` loads it again. */
  forget(source: ProviderSource): Promise<void>;
  getProvider(specifier: string, options?: GetProviderOptions): Promise<MediaProviderV1>;
}
