import { join } from 'node:path';
import type { Capability, MediaProviderV1, ModelByCapabilityV1, ModelInfoV1, TrainingJobV1 } from '@mediaconduit/provider';
import { createModelRuntime, type ModelRuntime } from '../calls/model-runtime.js';
import { resolveModelConfig, type LayeredModelConfig } from '../calls/model-config.js';
import type { UsageReport } from '../calls/usage-meter.js';
import { abortError, mcError } from '../util/errors.js';
import { cacheDirs } from '../cache/cache-dirs.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import { LockfileStore } from '../lockfile/lockfile-store.js';
import { instantiateProvider } from '../pipeline/instantiate.js';
import type { LoadEnvironment } from '../pipeline/load-environment.js';
import { warmLoad } from '../pipeline/warm-load.js';
import { parseSpecifier, redactSpecifier } from '../source/parse-specifier.js';
import { fileSystemError } from '../util/file-system-error.js';
import type { ProviderSource } from '../source/provider-source.js';
import type { StoredTrainingJob } from '../training/training-store.js';
import { hashName, preferNodeCrypto } from '../util/hash.js';
import { debugEnabled } from '../util/logger.js';
import { EarlyProcess } from './early-process.js';
import { prepare, update, type PrepareResult, type UpdateResult } from './maintenance.js';
import type { GetProviderOptions, Located, RegistryCore, ToRecord } from './registry-core.js';
import { type IsolationMode, resolveRegistryOptions, type ProviderRegistryOptions, type ResolvedRegistryOptions } from './registry-options.js';
import { guardModel, guardProvider, Secrets } from './secrets.js';
import { TrainingJobWatcher, type TrainingRound, type WatchTrainingJobsOptions } from './training-watch.js';

export type { GetProviderOptions } from './registry-core.js';
export type { PrepareResult, UpdateResult } from './maintenance.js';

/** A provider the registry has loaded. */
export interface LoadedProvider {
  specifier: string;
  /** Its manifest id: one repository folder per id in a registry. */
  id: string;
  name: string;
  version: string;
  commit: string;
  capabilities: readonly Capability[];
  /** Where it runs: `'process'` (a child process of its own) or `'none'` (this process). */
  isolation: IsolationMode;
  provider: MediaProviderV1;
}

/** A model found across loaded providers. */
export interface FoundModel {
  provider: MediaProviderV1;
  model: ModelInfoV1;
}

/** Loads providers from Git and keeps them. */
export interface ProviderRegistry {
  /** Loads (or returns the already loaded) provider for `specifier`. Concurrent calls share one load. */
  getProvider(specifier: string, options?: GetProviderOptions): Promise<MediaProviderV1>;
  /**
   * Re-resolves `specifier` over the network, fetches and builds the new commit if it moved,
   * rewrites its lockfile entry, and drops the loaded instance so the next `getProvider` uses it.
   */
  update(specifier: string, options?: { acceptMovedTags?: boolean }): Promise<UpdateResult>;
  /**
   * Makes `specifier` ready to load without running any of its code: resolves it (through its
   * lockfile entry when there is one, which it never moves), fetches, installs and builds it, and
   * records the entry. What `mediaconduit lock` runs, to pin providers and fill a cache ahead of time.
   */
  prepare(specifier: string): Promise<PrepareResult>;
  /** The providers loaded so far. */
  listProviders(): LoadedProvider[];
  /** Models with `capability` across all loaded providers (live discovery per provider). */
  findModels(capability: Capability, options?: { signal?: AbortSignal }): Promise<FoundModel[]>;
  /**
   * A model of one capability that tries `chain` in order: models, or `{ provider, model }`
   * references that are loaded on first use. Streams move on only before their first part.
   */
  withFallback: ModelRuntime['withFallback'];
  /** The model chain that `config` names for `environment` (default `MEDIACONDUIT_ENV`, else `NODE_ENV`, else `development`). */
  modelFromConfig<C extends Capability>(config: LayeredModelConfig<C>, options?: { environment?: string }): ModelByCapabilityV1[C];
  /** Usage and cost of the calls made through this registry's models: in total, per provider, per `provider/model`. */
  usage(): UsageReport;
  /** Subscribes to call events (`call:start`, `call:end`, `call:retry`, `call:fallback`); returns the unsubscribe function. */
  on: ModelRuntime['on'];
  /**
   * Training jobs recorded by this registry's job store (`trainingDir`), newest first: jobs
   * started or read through any registry using the same store, in this process or another.
   */
  trainingJobs(options?: { provider?: string }): Promise<StoredTrainingJob[]>;
  /**
   * A handle on a recorded job, to follow it from a new process: loads its provider from the
   * recorded specifier (with the recorded settings, over which `options.config` goes; secrets are
   * never recorded, so pass them again or use the environment) and asks it for the job. A job
   * recorded as ended is answered from the record.
   */
  resumeTrainingJob(id: string, options?: GetProviderOptions & { specifier?: string }): Promise<TrainingJobV1>;
  /**
   * A worker that follows every unfinished job in the store until each has ended (or for ever,
   * with `forever`): it records each change of state, emits events (`change`, `sample`,
   * `problem`, `idle`), and with `samplePrompts` makes sample images with each completed image
   * LoRA, recording their paths with the job. All it knows is in the store: started again, it goes
   * on where it stopped.
   */
  watchTrainingJobs(options?: WatchTrainingJobsOptions): TrainingJobWatcher;
  /** One round of {@link watchTrainingJobs}: every unfinished job read once, samples made; resolves to what is left. */
  checkTrainingJobs(options?: Omit<WatchTrainingJobsOptions, 'pollIntervalMs' | 'forever'>): Promise<TrainingRound>;
  /** Disposes every loaded provider, aborts their context signal and closes the call-log sinks. */
  close(): Promise<void>;
  /** The options in effect, defaults applied. */
  readonly options: Readonly<ResolvedRegistryOptions>;
}

/** Creates a registry. See {@link ProviderRegistryOptions} for defaults and environment variables. */
export function createProviderRegistry(options: ProviderRegistryOptions = {}): ProviderRegistry {
  return new Registry(resolveRegistryOptions(options));
}

let defaultRegistry: ProviderRegistry | undefined;

/** A process-wide registry with default options (created on first use). */
export function getProviderRegistry(): ProviderRegistry {
  defaultRegistry ??= createProviderRegistry();
  return defaultRegistry;
}

class Registry implements ProviderRegistry, RegistryCore {
  private readonly bySpecifier = new Map<string, Promise<MediaProviderV1>>();
  private readonly byKey = new Map<string, Promise<MediaProviderV1>>();
  private readonly loaded = new Map<string, LoadedProvider>();
  /** The manifest id of each loaded instance, and the repository folder it came from. */
  private readonly ids = new Map<string, { id: string; folder: string; specifier: string }>();
  private readonly controller = new AbortController();
  private readonly runtime: ModelRuntime;
  readonly env: LoadEnvironment;
  readonly lock: LockfileStore;
  readonly secrets: Secrets;
  readonly withFallback: ModelRuntime['withFallback'];
  readonly on: ModelRuntime['on'];

  constructor(readonly options: ResolvedRegistryOptions) {
    this.secrets = new Secrets(options.tokens, options.env);
    this.runtime = createModelRuntime({
      retry: options.retry,
      retryByProvider: options.retryByProvider,
      callLog: options.callLog,
      logger: options.logger,
      now: options.now,
      secrets: () => this.secrets.values(),
      resolveRef: async (ref, capability) => (await this.getProvider(ref.provider, ref.config ? { config: ref.config } : {})).getModel(ref.model, { capability }),
    });
    this.withFallback = this.runtime.withFallback;
    this.on = this.runtime.on;
    this.lock = new LockfileStore(options.lockfile, options.frozen);
    // The debug log (load steps, git commands, installs, model calls) only when DEBUG asks for it:
    // each line has a cost, and a warm load must stay cheap.
    const debug = debugEnabled('mediaconduit:registry', options.env.DEBUG ?? process.env.DEBUG) ? options.logger.debug.bind(options.logger) : undefined;
    this.env = {
      settings: options,
      dirs: cacheDirs(options.cacheDir),
      signal: this.controller.signal,
      emit: (event) => {
        debug?.(`${event.phase} ${event.status} ${redactSpecifier(event.specifier)}`, {
          ...(event.detail ? { detail: event.detail } : {}),
          ...(event.durationMs === undefined ? {} : { ms: Math.round(event.durationMs) }),
        });
        try {
          options.onProgress(event);
        } catch (error) {
          options.logger.warn('onProgress listener threw', { error: String(error) });
        }
      },
      debug,
    };
    if (debug) {
      this.runtime.on('call:end', ({ record: r }) =>
        debug(`${r.kind} ${r.provider}/${r.model} ${r.status}`, {
          capability: r.capability,
          attempt: r.attempt,
          ms: Math.round(r.latencyMs),
          ...(r.errorCode ? { error: r.errorCode } : {}),
          ...(r.requestId ? { requestId: r.requestId } : {}),
        }),
      );
      this.runtime.on('call:retry', (e) => debug(`retry ${e.provider}/${e.model}`, { attempt: e.attempt, delayMs: Math.round(e.delayMs), error: e.error.code }));
      this.runtime.on('call:fallback', (e) => debug(`fallback ${e.from.provider}/${e.from.model} → ${e.to.provider}/${e.to.model}`, { error: e.error?.code ?? 'COOLING_DOWN' }));
    }
  }

  getProvider(specifier: string, options: GetProviderOptions = {}): Promise<MediaProviderV1> {
    // The common call (a specifier alone) looks itself up as it is: no key is built.
    const memo = options.config || options.isolation ? `${specifier}\0${options.isolation ?? ''}\0${options.config ? stableJson(options.config) : ''}` : specifier;
    let pending = this.bySpecifier.get(memo);
    if (!pending) {
      pending = this.loadShared(specifier, options.config ?? {}, options.isolation);
      this.bySpecifier.set(memo, pending);
      pending.catch(() => this.bySpecifier.delete(memo));
    }
    return options.signal ? raceAbort(pending, options.signal, `getProvider ${redactSpecifier(specifier)}`) : pending;
  }

  private loadShared(specifier: string, config: Readonly<Record<string, unknown>>, isolation: IsolationMode | undefined): Promise<MediaProviderV1> {
    // Every failure of a load leaves through here: typed (a file-system fault becomes
    // FILE_SYSTEM_ERROR) and without any known secret, in its message, details, causes and stack.
    const failed = (error: unknown): never => {
      throw this.secrets.redactError(fileSystemError(`load ${redactSpecifier(specifier)}`, error));
    };
    try {
      if (this.controller.signal.aborted) throw mcError('ABORTED', `getProvider ${redactSpecifier(specifier)}: the registry is closed`);
      if (isolation !== undefined && isolation !== 'process' && isolation !== 'none') {
        throw mcError('INVALID_OPTIONS', `getProvider ${redactSpecifier(specifier)}: isolation must be "process" or "none", got ${JSON.stringify(isolation)}`);
      }
      const source = this.parse(specifier);
      const mode = isolation ?? isolationFor(source, this.options.isolation);
      const key = `${source.key}\0${mode}\0${stableJson(config)}`;
      let pending = this.byKey.get(key);
      if (!pending) {
        pending = this.load(source, config, key, mode).catch(failed);
        this.byKey.set(key, pending);
        pending.catch(() => this.byKey.delete(key));
      }
      return pending;
    } catch (error) {
      return Promise.reject(error).catch(failed);
    }
  }

  /** Loads `source` with `config`; `key` names the instance (specifier key and config). */
  private async load(source: ProviderSource, config: Readonly<Record<string, unknown>>, key: string, isolation: IsolationMode): Promise<MediaProviderV1> {
    const locked = await this.lock.get(source.key);
    const early = isolation === 'process' ? new EarlyProcess(this.options.cacheDir, this.options.isolationSettings.memoryMb) : undefined;
    if (early && locked) await early.start(locked.provider.id);
    const isolated = early ? import('../isolation/isolated-provider.js') : undefined;
    // (Awaited where it is used; a load that fails before then leaves no unhandled rejection.)
    isolated?.catch(() => {});
    const env: LoadEnvironment = early ? { ...this.env, onManifestId: (id) => void early.start(id) } : this.env;
    try {
      return await this.instantiate(source, config, key, locked, env, isolated, early);
    } finally {
      await early?.end();
    }
  }

  private async instantiate(
    source: ProviderSource,
    config: Readonly<Record<string, unknown>>,
    key: string,
    locked: LockEntry | undefined,
    env: LoadEnvironment,
    isolated: Promise<typeof import('../isolation/isolated-provider.js')> | undefined,
    early: EarlyProcess | undefined,
  ): Promise<MediaProviderV1> {
    const located = (locked && this.warm(source, locked)) || (await this.cold(source, locked, env));
    const { manifest } = located.record;
    this.claimId(source, manifest.id);
    // Its secrets are known before any of its code runs: its own load errors are redacted too.
    this.secrets.add(key, { declared: manifest.env, config });
    const started = performance.now();
    this.env.emit({ specifier: source.specifier, phase: 'import', status: 'start', detail: located.record.bundleFile });
    const dataDir = join(this.options.cacheDir, 'state', 'providers', manifest.id);
    const instance = {
      bytes: located.bytes,
      bundlePath: located.path,
      manifest,
      label: source.specifier,
      config,
      dispatcher: this.options.dispatcher,
      logger: this.options.logger,
      signal: this.controller.signal,
      env: this.options.env,
      timeoutMs: this.options.initializeTimeoutMs,
      now: this.options.now,
      dataDir,
      secretOrigins: this.options.secretOrigins,
    };
    const provider = isolated
      ? await (await isolated).instantiateIsolated({ ...instance, settings: this.options.isolationSettings, prestarted: await early?.take() })
      : await instantiateProvider(instance);
    this.env.emit({ specifier: source.specifier, phase: 'import', status: 'done', detail: located.record.bundleFile, durationMs: performance.now() - started });
    try {
      // Written only now: a provider that fails to import or initialise leaves no lockfile entry.
      if (located.toRecord) await this.record(source, located.toRecord.entry, located.toRecord.derivedOnly);
      this.claimId(source, manifest.id); // again: another load of the same id may have finished meanwhile
    } catch (error) {
      await provider.dispose?.().catch(() => {});
      throw error;
    }
    // Cooldowns are kept per instance (source and settings, secrets hashed away): a failure at one
    // endpoint or key never benches the same model served through another.
    const wrapped = this.options.wrapModels ? this.runtime.wrapProvider(provider, `${manifest.id}@${hashName(key, 12)}`) : provider;
    // Training jobs are recorded in the store; the code that does it loads only for a provider that trains.
    const trains = typeof wrapped.createTrainingJob === 'function' || typeof wrapped.getTrainingJob === 'function';
    const served = guardProvider(
      trains ? (await import('./training-side.js')).withTrainingRecorded(this, wrapped, source.specifier, manifest.id, config) : wrapped,
      this.secrets.redactError,
      this.options.wrapModels ? undefined : (model) => guardModel(model, this.secrets.redactError),
    );
    this.ids.set(key, { id: manifest.id, folder: folderOf(source), specifier: source.specifier });
    this.loaded.set(key, {
      specifier: source.specifier,
      id: manifest.id,
      name: manifest.name,
      version: manifest.version,
      commit: located.record.commit,
      capabilities: provider.capabilities,
      isolation: isolated ? 'process' : 'none',
      provider: served,
    });
    return served;
  }

  /**
   * One repository folder per manifest id: usage, call records, cooldowns and `retryByProvider` are
   * keyed by the id, so a second provider claiming it (a fork, another folder) would merge into the
   * first. The same folder at another version or with other settings shares the id, as it should.
   */
  private claimId(source: ProviderSource, id: string): void {
    const folder = folderOf(source);
    for (const owner of this.ids.values()) {
      if (owner.id !== id || owner.folder === folder) continue;
      throw mcError(
        'PROVIDER_LOAD_FAILED',
        `load ${source.specifier}: its provider id "${id}" is already taken by ${owner.specifier}, loaded in this registry; usage, call records, cooldowns and retry settings are kept by provider id, so two repositories cannot share one. Load only one of them, or use a registry of its own for the other`,
        { details: { id, loadedFrom: owner.specifier } },
      );
    }
  }

  modelFromConfig<C extends Capability>(config: LayeredModelConfig<C>, options: { environment?: string } = {}): ModelByCapabilityV1[C] {
    const environment = options.environment ?? (this.options.env.MEDIACONDUIT_ENV || this.options.env.NODE_ENV || 'development');
    const layer = resolveModelConfig(config, environment);
    return this.withFallback<C>(layer.chain, { capability: config.capability, name: `${config.name ?? config.capability} (${environment})`, ...layer.options });
  }

  usage(): UsageReport {
    return this.runtime.usage();
  }

  trainingJobs(options: { provider?: string } = {}): Promise<StoredTrainingJob[]> {
    return import('./training-side.js').then((side) => side.trainingJobs(this, options)).catch((error: unknown) => Promise.reject(this.secrets.redactError(error)));
  }

  watchTrainingJobs(options: WatchTrainingJobsOptions = {}): TrainingJobWatcher {
    return new TrainingJobWatcher(this, options, true);
  }

  checkTrainingJobs(options: Omit<WatchTrainingJobsOptions, 'pollIntervalMs' | 'forever'> = {}): Promise<TrainingRound> {
    return new TrainingJobWatcher(this, options, false).round().catch((error: unknown) => Promise.reject(this.secrets.redactError(error)));
  }

  resumeTrainingJob(id: string, options: GetProviderOptions & { specifier?: string } = {}): Promise<TrainingJobV1> {
    return import('./training-side.js').then((side) => side.resumeTrainingJob(this, id, options)).catch((error: unknown) => Promise.reject(this.secrets.redactError(error)));
  }

  warm(source: ProviderSource, locked: LockEntry, env = this.env): Located | undefined {
    const found = warmLoad(env, source, locked);
    if (!found) return undefined;
    return found.refreshed ? { ...found, toRecord: { entry: found.refreshed, derivedOnly: true } } : found;
  }

  async cold(source: ProviderSource, locked: LockEntry | undefined, env = this.env): Promise<Located & { toRecord: ToRecord }> {
    if (!locked) await this.lock.assertMayAdd(source.key);
    const { coldLoad } = await import('../cold-side.js');
    const { entry, ...bundle } = await coldLoad(env, source, locked);
    preferNodeCrypto(); // the cold load loaded node:crypto: this module's hashes use it too (each chunk has its own copy of util/hash)
    return { ...bundle, toRecord: { entry, derivedOnly: locked?.commit === entry.commit } };
  }

  record(source: ProviderSource, entry: LockEntry, derivedOnly: boolean): Promise<void> {
    // The entry says where the provider runs by default (an override per getProvider call does not change the pin).
    return this.lock.set(source.key, { ...entry, isolation: isolationFor(source, this.options.isolation) }, this.env.dirs, { derivedOnly });
  }

  parse(specifier: string): ProviderSource {
    const source = parseSpecifier(specifier);
    const allowed = this.options.allowedHosts;
    if (allowed && !(source.host && (allowed.includes(source.host) || allowed.includes(source.host.replace(/:\d+$/, ''))))) {
      throw mcError(
        'INVALID_SPECIFIER',
        `provider specifier "${redactSpecifier(specifier)}" is not allowed: ${source.host ? `host "${source.host}"` : 'a local repository'} is not among the allowed hosts (${allowed.join(', ') || 'none'}); add it to the \`allowedHosts\` option (or MEDIACONDUIT_ALLOWED_HOSTS) if it should be`,
        { details: { specifier: redactSpecifier(specifier), host: source.host ?? null, allowedHosts: allowed } },
      );
    }
    return source;
  }

  update(specifier: string, options: { acceptMovedTags?: boolean } = {}): Promise<UpdateResult> {
    return update(this, specifier, options);
  }

  prepare(specifier: string): Promise<PrepareResult> {
    return prepare(this, specifier);
  }

  async forget(source: ProviderSource): Promise<void> {
    for (const [key, loaded] of this.loaded) {
      if (!key.startsWith(`${source.key}\0`)) continue;
      this.loaded.delete(key);
      this.byKey.delete(key);
      this.ids.delete(key);
      this.secrets.delete(key);
      await loaded.provider.dispose?.().catch(() => {});
    }
    for (const memo of this.bySpecifier.keys()) {
      // Every memo key starts with a specifier that parsed once already.
      if (parseSpecifier(memo.split('\0')[0]!).key === source.key) this.bySpecifier.delete(memo);
    }
  }

  listProviders(): LoadedProvider[] {
    return [...this.loaded.values()];
  }

  async findModels(capability: Capability, options: { signal?: AbortSignal } = {}): Promise<FoundModel[]> {
    const lists = await Promise.all(
      this.listProviders()
        .filter((p) => p.capabilities.includes(capability))
        .map(async ({ provider }) => {
          const models = await provider.listModels({ capability, ...(options.signal ? { signal: options.signal } : {}) });
          return models.filter((model) => model.capability === capability).map((model) => ({ provider, model }));
        }),
    );
    return lists.flat();
  }

  async close(): Promise<void> {
    this.controller.abort(mcError('ABORTED', 'the provider registry was closed'));
    const providers = [...this.loaded.values()];
    this.loaded.clear();
    this.ids.clear();
    this.bySpecifier.clear();
    this.byKey.clear();
    await Promise.all(providers.map((p) => p.provider.dispose?.().catch(() => {})));
    await this.runtime.close();
  }
}

/**
 * Where a provider from `source` runs by default: in a process of its own for code from the
 * network, in this one for a local repository or folder (development).
 */
function isolationFor(source: ProviderSource, setting: IsolationMode | 'auto'): IsolationMode {
  if (setting !== 'auto') return setting;
  return source.kind === 'file' ? 'none' : 'process';
}

/** The repository folder a source names, whatever its ref: what a manifest id belongs to. */
function folderOf(source: ProviderSource): string {
  return `${source.url}\0${source.subdir}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype) return `#${objectId(value)}`;
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

const ids = new WeakMap<object, number>();
let nextId = 0;
function objectId(value: object): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = ++nextId;
    ids.set(value, id);
  }
  return id;
}

function raceAbort<T>(pending: Promise<T>, signal: AbortSignal, operation: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(operation, signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(operation, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
