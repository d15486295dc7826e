import type { Capability, CallOptionsV1, LoggerV1, MediaProviderV1, ModelByCapabilityV1, ModelV1, RetryOptionsV1 } from '@mediaconduit/provider';
import { boundProxy } from '../util/bound-proxy.js';
import { memberNames } from '../util/member-names.js';
import { mcError } from '../util/errors.js';
import { redact, redactError } from '../util/redact.js';
import { CallEventEmitter, type CallEventListener, type CallEventName } from './call-events.js';
import type { CallLogSink } from './call-log.js';
import type { CallRecord } from './call-record.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { chainCapability, isRef, METHODS as CHAIN_METHODS, type FallbackOptions, type ModelRef } from './fallback-options.js';
import { resolveRetryPolicy, type RetryPolicy } from './retry-policy.js';
import type { Callee, CallServices, CallTargetInfo, ChainLink } from './run-call.js';
import { UsageMeter, type UsageReport } from './usage-meter.js';

type Engine = typeof import('./call-engine.js');
let engine: Engine | undefined;
let engineLoading: Promise<Engine> | undefined;
/**
 * The call engine is imported on the first model call, not with core: importing core and a warm
 * `getProvider` pay nothing for it. Once loaded, calls reach it without an `await`.
 */
const loadEngine = (): Promise<Engine> =>
  (engineLoading ??= import('./call-engine.js').then((loaded) => {
    engine = loaded;
    return loaded;
  }));

/** A stream that first waits for the engine (only the streams started before it loaded). */
async function* afterEngine<T>(open: (loaded: Engine) => AsyncIterable<T>): AsyncGenerator<T> {
  yield* open(await loadEngine());
}

/** Options of {@link createModelRuntime}. */
export interface ModelRuntimeOptions {
  /** The retry policy of every call (merged over the defaults). */
  retry?: RetryOptionsV1 | false;
  /** Retry policies per provider id (`{ together: { maxRetries: 4 } }`), merged over `retry`. */
  retryByProvider?: Readonly<Record<string, RetryOptionsV1 | false>>;
  /** Where call records go: `memoryCallLog()`, `jsonlCallLog(path)`, `callbackCallLog(fn)`, or your own. */
  callLog?: readonly CallLogSink[];
  /** Values never to write in a record (API keys, tokens); `Bearer …` values are always removed. */
  secrets?: () => Iterable<string | undefined>;
  /** Loads a `{ provider, model }` reference (the registry supplies this). */
  resolveRef?: (ref: ModelRef, capability: Capability) => Promise<ModelV1>;
  logger?: LoggerV1;
  /** For tests: the jitter source (default `Math.random`). */
  random?: () => number;
  /** The clock of cooldowns and warnings (default `Date.now`); tests pass their own to move time. */
  now?: () => number;
}

/** Retries, fallback chains, call log, usage and cost, and call events, around any provider's models. */
export interface ModelRuntime {
  /**
   * `provider` with every model `getModel` returns wrapped by {@link ModelRuntime.wrapModel}.
   * `instance` names this provider instance (its source and settings) for cooldowns; default its id.
   */
  wrapProvider(provider: MediaProviderV1, instance?: string): MediaProviderV1;
  /** `model` with the runtime's retries, log, meter and events around each call. Wrapping twice returns the same wrapper. */
  wrapModel<M extends ModelV1>(model: M, providerId?: string, instance?: string): M;
  /** A model of one capability that tries `chain` in order (see {@link FallbackOptions}). */
  withFallback<C extends Capability>(chain: readonly (ModelByCapabilityV1[C] | ModelRef)[], options: FallbackOptions & { capability: C }): ModelByCapabilityV1[C];
  withFallback<M extends ModelV1>(chain: readonly (M | ModelRef)[], options?: FallbackOptions): M;
  /** Subscribes to call events; returns the function that unsubscribes. */
  on<E extends CallEventName>(event: E, listener: CallEventListener<E>): () => void;
  /** Usage and cost so far: in total, per provider, per `provider/model`. */
  usage(): UsageReport;
  /** Flushes and closes the call-log sinks. */
  close(): Promise<void>;
}

/** Marks a model wrapped by a runtime (its value: what the model is). Internal: `withAdapters` keeps it. */
export const WRAPPED = Symbol('mediaconduit.wrapped');
/** What a model wrapped by a runtime is (its provider, instance, policy), or `undefined` for a model the runtime did not wrap. */
const targetOf = (model: object): CallTargetInfo | undefined => (model as Record<symbol, CallTargetInfo | undefined>)[WRAPPED];
const METHODS = ['transform', 'transformMany', 'stream'] as const;

/** Creates a {@link ModelRuntime}. The registry has one (`registry.withFallback`, `registry.usage()`, `registry.on`). */
export function createModelRuntime(options: ModelRuntimeOptions = {}): ModelRuntime {
  const base = resolveRetryPolicy(options.retry);
  const policies = new Map<string, RetryPolicy>();
  const policyFor = (providerId: string) => {
    const own = options.retryByProvider?.[providerId];
    if (own === undefined) return base;
    let policy = policies.get(providerId);
    if (!policy) {
      policy = resolveRetryPolicy(options.retry, own);
      policies.set(providerId, policy);
    }
    return policy;
  };
  const logger = options.logger;
  const now = options.now ?? Date.now;
  const sinks = options.callLog ?? [];
  const meter = new UsageMeter();
  const events = new CallEventEmitter((error) => logger?.warn('a call event listener threw', { error: String(error) }));
  let counter = 0;
  const stem = `${Date.now().toString(36)}-`; // made once: an id is then one string joined to its number
  const services: CallServices = {
    events,
    log:
      sinks.length === 0
        ? undefined
        : (record: CallRecord) => {
            for (const sink of sinks) {
              try {
                sink.write(record);
              } catch (error) {
                logger?.warn('a call log sink threw', { error: String(error) });
              }
            }
          },
    meter,
    redact: (text) => redact(text, options.secrets?.() ?? [], { bearer: true }),
    redactError: (error) => redactError(error, services.redact),
    random: options.random ?? Math.random,
    nextCallId: () => stem + ++counter,
  };
  let breaker: CircuitBreaker | undefined;
  const resolve =
    options.resolveRef ??
    (async (ref: ModelRef) => {
      throw mcError('INVALID_OPTIONS', `withFallback: cannot load ${ref.provider}: { provider, model } references need a registry; use registry.withFallback, or pass models`);
    });

  /**
   * A chain is checked and shaped at once (bad entries throw `INVALID_OPTIONS` here); its calls are
   * made by the engine, built on the chain's first call.
   */
  function withFallback(chain: readonly (ModelV1 | ModelRef)[], fallbackOptions: FallbackOptions = {}): ModelV1 {
    const capability = chainCapability(chain, fallbackOptions);
    const name = fallbackOptions.name ?? 'fallback';
    type Calls = Record<string, (input: unknown, callOptions?: CallOptionsV1) => unknown>;
    let calls: Calls | undefined;
    const callsOf = (e: Engine): Calls => {
      breaker ??= new e.CircuitBreaker(now);
      calls ??= e.createFallbackCalls(
        { ...services, breaker, now, logger, wrap: (model) => wrapModel(model), instanceOf: (model) => targetOf(model)?.instance ?? model.info.providerId, resolve },
        chain,
        fallbackOptions,
        capability,
      ) as Calls;
      return calls;
    };
    const labels = chain.map((item) => (isRef(item) ? item.model : item.id)).join(' → ');
    const model: Record<string, unknown> = {
      specificationVersion: 'v1',
      capability,
      id: name,
      info: { id: name, providerId: 'fallback', capability, displayName: `${name}: ${labels}` },
    };
    for (const method of CHAIN_METHODS[capability]) {
      model[method] =
        method === 'stream'
          ? (input: unknown, callOptions?: CallOptionsV1) => {
              const open = (e: Engine) => callsOf(e).stream!(input, callOptions) as AsyncIterable<unknown>;
              return engine ? open(engine) : afterEngine(open);
            }
          : (input: unknown, callOptions?: CallOptionsV1) =>
              engine ? callsOf(engine)[method]!(input, callOptions) : loadEngine().then((e) => callsOf(e)[method]!(input, callOptions));
    }
    return model as unknown as ModelV1;
  }

  function wrapModel<M extends ModelV1>(model: M, providerId = model.info?.providerId ?? 'unknown', instance = providerId): M {
    if (targetOf(model)) return model;
    const target: CallTargetInfo = {
      provider: providerId,
      model: model.id,
      instance,
      capability: model.capability,
      pricing: model.info?.pricing,
      policy: policyFor(providerId),
      slot: undefined,
    };
    const raw = model as unknown as Record<string, unknown>;
    // A plain object of the model's own members: methods other than the calls run on the model
    // itself (class-based models may use private fields), the calls go through the runtime.
    const wrapped: Record<string | symbol, unknown> = { [WRAPPED]: target };
    for (const key of memberNames(model)) {
      const value = raw[key];
      wrapped[key] = typeof value === 'function' ? value.bind(model) : value;
    }
    for (const method of METHODS) {
      const original = raw[method];
      if (typeof original !== 'function') continue;
      const callee = { self: model, fn: original as Callee<never>['fn'] };
      // (A third argument, which only fallback chains pass, links the call to its chain.)
      wrapped[method] =
        method === 'stream'
          ? (input: unknown, callOptions?: CallOptionsV1, link?: ChainLink) => {
              const open = (e: Engine) => e.runStream(services, target, input, callOptions, callee as Callee<never>, link);
              return engine ? open(engine) : afterEngine(open);
            }
          : (input: unknown, callOptions?: CallOptionsV1, link?: ChainLink) =>
              engine
                ? engine.runCall(services, target, method, input, callOptions, callee as Callee<Promise<unknown>>, link)
                : loadEngine().then((e) => e.runCall(services, target, method, input, callOptions, callee as Callee<Promise<unknown>>, link));
    }
    return wrapped as unknown as M;
  }

  function wrapProvider(provider: MediaProviderV1, instance = provider.id): MediaProviderV1 {
    const getModel: MediaProviderV1['getModel'] = async (id, callOptions) => wrapModel(await provider.getModel(id, callOptions), provider.id, instance) as never;
    return boundProxy(provider, { getModel });
  }

  const runtime: ModelRuntime = {
    wrapProvider,
    wrapModel,
    withFallback: withFallback as ModelRuntime['withFallback'],
    on: (event, listener) => events.on(event, listener),
    usage: () => meter.report(),
    async close() {
      for (const sink of sinks) {
        try {
          await sink.close?.();
        } catch (error) {
          logger?.warn('a call log sink failed to close', { error: String(error) });
        }
      }
    },
  };
  return runtime;
}
