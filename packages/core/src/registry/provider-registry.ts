import { isFinalTrainingStatus, type Capability, type MediaProviderV1, type ModelByCapabilityV1, type ModelInfoV1, type TrainingJobV1 } from '@mediaconduit/provider';
import { createModelRuntime, type ModelRuntime } from '../calls/model-runtime.js';
import { resolveModelConfig, type LayeredModelConfig } from '../calls/model-config.js';
import type { UsageReport } from '../calls/usage-meter.js';
import { abortError, mcError } from '../util/errors.js';
import { cacheDirs, type CacheDirs } from '../cache/cache-dirs.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import { LockfileStore } from '../lockfile/lockfile-store.js';
import type { Located } from '../pipeline/ensure-bundle.js';
import type { LoadEnvironment } from '../pipeline/load-environment.js';
import type { ProgressEvent } from '../pipeline/progress-event.js';
import { warmLoad } from '../pipeline/warm-load.js';
import { parseSpecifier, redactSpecifier } from '../source/parse-specifier.js';
import { fileSystemError } from '../util/file-system-error.js';
import type { ProviderSource } from '../source/provider-source.js';
import { finishedJob, trackTraining } from '../training/track-training.js';
import { publicConfig, TrainingJobStore, type StoredTrainingJob } from '../training/training-store.js';
import { redact } from '../util/redact.js';
import { debugEnabled } from '../util/logger.js';
import { instantiateProvider } from './instantiate-provider.js';
import { resolveRegistryOptions, type ProviderRegistryOptions, type ResolvedRegistryOptions } from './registry-options.js';

/** A lockfile entry to record once its provider has loaded. */
interface ToRecord {
  entry: LockEntry;
  /** Nothing pinned changed (only derived data, such as the bundle hash). */
  derivedOnly: boolean;
}

/** Options of one `getProvider` call. */
export interface GetProviderOptions {
  /** Settings for the provider's factory (`apiKey`, `baseURL`, `env` overrides, …). Part of the instance's identity. */
  config?: Readonly<Record<string, unknown>>;
  /** Stops waiting for this call (the shared load goes on for other callers). */
  signal?: AbortSignal;
}

/** A provider the registry has loaded. */
export interface LoadedProvider {
  specifier: string;
  id: string;
  name: string;
  version: string;
  commit: string;
  capabilities: readonly Capability[];
  provider: MediaProviderV1;
}

/** A model found across loaded providers. */
export interface FoundModel {
  provider: MediaProviderV1;
  model: ModelInfoV1;
}

/** What `update` changed. */
export interface UpdateResult {
  specifier: string;
  before: LockEntry | undefined;
  after: LockEntry;
  changed: boolean;
}

/** What `prepare` did. */
export interface PrepareResult {
  specifier: string;
  entry: LockEntry;
  /** The lockfile had no entry for it before. */
  added: boolean;
  /** Steps that had to run (the others were served from the cache). */
  ran: ProgressEvent['phase'][];
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

class Registry implements ProviderRegistry {
  private readonly bySpecifier = new Map<string, Promise<MediaProviderV1>>();
  private readonly byKey = new Map<string, Promise<MediaProviderV1>>();
  private readonly loaded = new Map<string, LoadedProvider>();
  private readonly secretSources = new Map<string, { declared: readonly { name: string }[]; config: Readonly<Record<string, unknown>> }>();
  private readonly controller = new AbortController();
  private readonly dirs: CacheDirs;
  private readonly lock: LockfileStore;
  private readonly env: LoadEnvironment;
  private readonly runtime: ModelRuntime;
  private readonly training: TrainingJobStore;
  readonly withFallback: ModelRuntime['withFallback'];
  readonly on: ModelRuntime['on'];

  constructor(readonly options: ResolvedRegistryOptions) {
    this.runtime = createModelRuntime({
      retry: options.retry,
      retryByProvider: options.retryByProvider,
      callLog: options.callLog,
      logger: options.logger,
      secrets: () => this.secrets(),
      resolveRef: async (ref, capability) => (await this.getProvider(ref.provider, ref.config ? { config: ref.config } : {})).getModel(ref.model, { capability }),
    });
    this.withFallback = this.runtime.withFallback;
    this.on = this.runtime.on;
    this.dirs = cacheDirs(options.cacheDir);
    this.lock = new LockfileStore(options.lockfile, options.frozen);
    this.training = new TrainingJobStore(options.trainingDir);
    // The debug log (load steps, git commands, installs, model calls) only when DEBUG asks for it:
    // each line has a cost, and a warm load must stay cheap.
    const debug = debugEnabled('mediaconduit:registry', options.env.DEBUG ?? process.env.DEBUG) ? options.logger.debug.bind(options.logger) : undefined;
    this.env = {
      settings: options,
      dirs: this.dirs,
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
    const memo = options.config ? `${specifier}\0${stableJson(options.config)}` : specifier;
    let pending = this.bySpecifier.get(memo);
    if (!pending) {
      pending = this.loadShared(specifier, options.config ?? {});
      this.bySpecifier.set(memo, pending);
      pending.catch(() => this.bySpecifier.delete(memo));
    }
    return options.signal ? raceAbort(pending, options.signal, `getProvider ${redactSpecifier(specifier)}`) : pending;
  }

  private async loadShared(specifier: string, config: Readonly<Record<string, unknown>>): Promise<MediaProviderV1> {
    if (this.controller.signal.aborted) throw mcError('ABORTED', `getProvider ${redactSpecifier(specifier)}: the registry is closed`);
    const source = this.parse(specifier);
    const key = `${source.key}\0${stableJson(config)}`;
    let pending = this.byKey.get(key);
    if (!pending) {
      pending = this.load(source, config, key).catch((error: unknown) => {
        throw fileSystemError(`load ${source.specifier}`, error);
      });
      this.byKey.set(key, pending);
      pending.catch(() => this.byKey.delete(key));
    }
    return pending;
  }

  /** Loads `source` with `config`; `key` names the instance (specifier key and config). */
  private async load(source: ProviderSource, config: Readonly<Record<string, unknown>>, key: string): Promise<MediaProviderV1> {
    const locked = await this.lock.get(source.key);
    const located = (locked && (await this.warm(source, locked))) || (await this.cold(source, locked));
    const started = performance.now();
    this.env.emit({ specifier: source.specifier, phase: 'import', status: 'start', detail: located.record.bundleFile });
    const provider = await instantiateProvider({
      bundlePath: located.bundlePath,
      manifest: located.record.manifest,
      label: source.specifier,
      config,
      dispatcher: this.options.dispatcher,
      logger: this.options.logger,
      signal: this.controller.signal,
      env: this.options.env,
      timeoutMs: this.options.initializeTimeoutMs,
    });
    this.env.emit({ specifier: source.specifier, phase: 'import', status: 'done', detail: located.record.bundleFile, durationMs: performance.now() - started });
    // Written only now: a provider that fails to import or initialise leaves no lockfile entry.
    if (located.toRecord) {
      try {
        await this.record(source, located.toRecord.entry, located.toRecord.derivedOnly);
      } catch (error) {
        await provider.dispose?.().catch(() => {});
        throw error;
      }
    }
    const { manifest } = located.record;
    let served = this.options.wrapModels ? this.runtime.wrapProvider(provider) : provider;
    if (typeof provider.createTrainingJob === 'function' || typeof provider.getTrainingJob === 'function') {
      served = trackTraining(served, this.trainingOrigin(source.specifier, manifest.id, config), this.trainingServices());
    }
    // Where its secrets are; they are read only when a message is redacted, never on a load.
    this.secretSources.set(key, { declared: manifest.env, config });
    this.loaded.set(key, {
      specifier: source.specifier,
      id: manifest.id,
      name: manifest.name,
      version: manifest.version,
      commit: located.record.commit,
      capabilities: provider.capabilities,
      provider: served,
    });
    return served;
  }

  /** Every secret the registry knows of (Git tokens, providers' keys), to keep them out of call records. */
  private *secrets(): Iterable<string> {
    yield* Object.values(this.options.tokens);
    for (const { declared, config } of this.secretSources.values()) yield* secretValues(declared, config, this.options.env);
  }

  modelFromConfig<C extends Capability>(config: LayeredModelConfig<C>, options: { environment?: string } = {}): ModelByCapabilityV1[C] {
    const environment = options.environment ?? (this.options.env.MEDIACONDUIT_ENV || this.options.env.NODE_ENV || 'development');
    const layer = resolveModelConfig(config, environment);
    return this.withFallback<C>(layer.chain, { capability: config.capability, name: `${config.name ?? config.capability} (${environment})`, ...layer.options });
  }

  usage(): UsageReport {
    return this.runtime.usage();
  }

  private trainingOrigin(specifier: string, providerId: string, config: Readonly<Record<string, unknown>>) {
    return { specifier: redactSpecifier(specifier), providerId, config: publicConfig(config) };
  }

  private trainingServices() {
    return { store: this.training, logger: this.options.logger, redact: (text: string) => redact(text, this.secrets()) };
  }

  async trainingJobs(options: { provider?: string } = {}): Promise<StoredTrainingJob[]> {
    const all = await this.training.list((path, problem) => this.options.logger.warn(`training job store: skipped ${path}: ${problem}`));
    return options.provider === undefined ? all : all.filter((j) => j.providerId === options.provider || j.specifier === options.provider);
  }

  async resumeTrainingJob(id: string, options: GetProviderOptions & { specifier?: string } = {}): Promise<TrainingJobV1> {
    const stored = (await this.trainingJobs()).filter((j) => j.job.id === id && (options.specifier === undefined || j.specifier === options.specifier));
    if (stored.length === 0) {
      throw mcError(
        'INVALID_INPUT',
        `resumeTrainingJob: no recorded training job "${id}" in ${this.options.trainingDir}${options.specifier ? ` for ${options.specifier}` : ''}; registry.trainingJobs() lists the recorded ones (a job started with another trainingDir is recorded there)`,
      );
    }
    if (stored.length > 1 && options.specifier === undefined) {
      throw mcError('INVALID_INPUT', `resumeTrainingJob: job id "${id}" is recorded for several providers (${stored.map((j) => j.specifier).join(', ')}); pass { specifier }`);
    }
    const record = stored[0]!;
    const load = async () => {
      const provider = await this.getProvider(record.specifier, { config: { ...record.config, ...options.config }, ...(options.signal ? { signal: options.signal } : {}) });
      if (typeof provider.getTrainingJob !== 'function')
        throw mcError('UNSUPPORTED', `resumeTrainingJob: provider ${record.specifier} (${record.providerId}) offers no training in its loaded version`);
      return provider.getTrainingJob(id, options.signal ? { signal: options.signal } : {});
    };
    if (isFinalTrainingStatus(record.job.status)) return finishedJob(record, load);
    return load();
  }

  /** The warm path; a refreshed bundle hash (derived data) is to be recorded once the provider loaded. */
  private async warm(source: ProviderSource, locked: LockEntry, env = this.env): Promise<(Located & { toRecord?: ToRecord }) | undefined> {
    const found = await warmLoad(env, source, locked);
    if (!found) return undefined;
    return found.refreshed ? { ...found, toRecord: { entry: found.refreshed, derivedOnly: true } } : found;
  }

  /** The cold path (loaded with import() only when needed); its lockfile entry is recorded once the provider loaded. */
  private async cold(source: ProviderSource, locked: LockEntry | undefined, env = this.env): Promise<Located & { toRecord: ToRecord }> {
    if (!locked) await this.lock.assertMayAdd(source.key);
    const { coldLoad } = await import('../cold-side.js');
    const { entry, ...located } = await coldLoad(env, source, locked);
    return { ...located, toRecord: { entry, derivedOnly: locked?.commit === entry.commit } };
  }

  /** The only writer of the lockfile. `derivedOnly`: nothing pinned changed (frozen mode lets it pass silently). */
  private record(source: ProviderSource, entry: LockEntry, derivedOnly: boolean): Promise<void> {
    return this.lock.set(source.key, entry, this.dirs, { derivedOnly });
  }

  /** Parses a specifier and applies `allowedHosts`. */
  private parse(specifier: string): ProviderSource {
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

  async update(specifier: string, options: { acceptMovedTags?: boolean } = {}): Promise<UpdateResult> {
    try {
      return await this.updateOne(specifier, options);
    } catch (error) {
      throw fileSystemError(`update ${redactSpecifier(specifier)}`, error);
    }
  }

  private async updateOne(specifier: string, options: { acceptMovedTags?: boolean }): Promise<UpdateResult> {
    const source = this.parse(specifier);
    if (this.options.offline) throw mcError('NOT_CACHED', `update ${specifier}: updating needs the network, but the registry is offline`);
    const { coldLoad, resolvePin, movedTagError } = await import('../cold-side.js');
    const before = await this.lock.get(source.key);
    const pin = await resolvePin(this.env, source);
    if (before?.resolvedKind === 'tag' && before.resolved !== null && pin.resolved === before.resolved && pin.commit !== before.commit && !options.acceptMovedTags) {
      throw movedTagError(`update ${specifier}`, before.resolved, before.commit, pin.commit);
    }
    const { entry } = await coldLoad(this.env, source, undefined, { pin });
    const changed = JSON.stringify(before) !== JSON.stringify(entry);
    if (changed) {
      if (this.options.frozen)
        throw mcError(
          'LOCKFILE_FROZEN',
          `update ${specifier}: the lockfile is frozen; ${before ? `commit ${before.commit} would become ${entry.commit}` : 'the entry would be added'}`,
        );
      await this.record(source, entry, false);
      await this.forget(source);
    }
    return { specifier, before, after: entry, changed };
  }

  async prepare(specifier: string): Promise<PrepareResult> {
    try {
      const source = this.parse(specifier);
      const ran = new Set<ProgressEvent['phase']>();
      const env: LoadEnvironment = {
        ...this.env,
        emit: (event) => {
          if (event.status === 'done') ran.add(event.phase);
          this.env.emit(event);
        },
      };
      const locked = await this.lock.get(source.key);
      const located = (locked && (await this.warm(source, locked, env))) || (await this.cold(source, locked, env));
      if (located.toRecord) await this.record(source, located.toRecord.entry, located.toRecord.derivedOnly);
      return { specifier, entry: located.toRecord?.entry ?? (locked as LockEntry), added: !locked, ran: [...ran] };
    } catch (error) {
      throw fileSystemError(`prepare ${redactSpecifier(specifier)}`, error);
    }
  }

  private async forget(source: ProviderSource): Promise<void> {
    for (const [key, loaded] of this.loaded) {
      if (!key.startsWith(`${source.key}\0`)) continue;
      this.loaded.delete(key);
      this.byKey.delete(key);
      this.secretSources.delete(key);
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
    this.bySpecifier.clear();
    this.byKey.clear();
    await Promise.all(providers.map((p) => p.provider.dispose?.().catch(() => {})));
    await this.runtime.close();
  }
}

/** The values of `config` and declared environment variables whose names say they are secret. */
function* secretValues(declared: readonly { name: string }[], config: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): Iterable<string> {
  const secret = /key|token|secret|password|auth/i;
  for (const { name } of declared) if (secret.test(name) && env[name]) yield env[name]!;
  for (const [name, value] of Object.entries(config)) if (secret.test(name) && typeof value === 'string') yield value;
  const overrides = config.env as Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(overrides ?? {})) if (secret.test(name) && typeof value === 'string') yield value;
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
