import { MediaConduitError, type Capability, type CallOptionsV1, type ErrorCode, type LoggerV1, type ModelV1, type RetryOptionsV1 } from '@mediaconduit/provider';
import { isRef, METHODS, type FallbackOptions, type ModelRef } from './fallback-options.js';
import { mcError } from '../util/errors.js';
import type { CallRecord, FallbackStep } from './call-record.js';
import type { CircuitBreaker, CooldownOptions } from './circuit-breaker.js';
import { recordedMessage } from './error-text.js';
import { measureInput } from './measure-call.js';
import { isoNow } from '../util/iso-now.js';
import type { CallServices, CallTargetInfo, ChainLink, RetryGuard } from './run-call.js';

/** The failures that would fail on any model, so a chain does not move on for them by default. */
const CALLER_FAULTS: ReadonlySet<ErrorCode> = new Set(['INVALID_INPUT', 'INVALID_OPTIONS', 'CONTENT_REFUSED', 'ABORTED']);
/** A model that cannot be called for lack of configuration: the chain moves on, but says so. */
const MISCONFIGURED: ReadonlySet<ErrorCode> = new Set(['MISSING_API_KEY', 'MISSING_CONFIGURATION']);

/** What a chain needs from its runtime. */
export interface ChainServices extends CallServices {
  breaker: CircuitBreaker;
  /** The runtime's clock (cooldowns, the chain's deadline, warnings). */
  now: () => number;
  logger: LoggerV1 | undefined;
  /** The runtime's wrapped form of a model given as an object (retries, log, meter). */
  wrap: (model: ModelV1) => ModelV1;
  /** The provider instance that serves a wrapped model (what cooldowns are kept by). */
  instanceOf: (model: ModelV1) => string;
  /** Loads a referenced model through the registry, wrapped. */
  resolve: (ref: ModelRef, capability: Capability) => Promise<ModelV1>;
}

/** One call of the chain: its id (made when first needed), and when it started. */
/** Calls a model of the chain: made once per method, so a call allocates no function for it. */
type Invoke<T> = (model: ModelV1, link: ChainLink, input: unknown, options: CallOptionsV1 | undefined) => Promise<T>;

interface ChainCall {
  callId: string | undefined;
  time: string;
  started: number;
  /** When the chain's deadline (`retry.deadlineMs`) passes, on the runtime's clock; none without one. */
  deadlineAt?: number | undefined;
}

interface Entry {
  /** Provider and model as known before resolving (a ref's specifier until it is loaded). */
  provider: string;
  model: string;
  /** The breaker's key: the provider instance and the model (a ref's specifier and settings until it is loaded). */
  key: string;
  /** The model, once known (at once for a model object, after the first load for a ref). */
  resolved: ModelV1 | undefined;
  /** Loads a ref's model (absent for a model object, which is resolved from the start). */
  get?: () => Promise<ModelV1>;
}

/**
 * The call methods of a model of `capability` that tries `chain` in order (see
 * {@link FallbackOptions}); `chain` and `options` were checked when the chain was made.
 */
export function createFallbackCalls(services: ChainServices, chain: readonly (ModelV1 | ModelRef)[], options: FallbackOptions, capability: Capability): Record<string, unknown> {
  const name = options.name ?? 'fallback';
  const cooldown: Required<CooldownOptions> =
    options.cooldown === false ? { afterFailures: 1, cooldownMs: 0 } : { afterFailures: options.cooldown?.afterFailures ?? 1, cooldownMs: options.cooldown?.cooldownMs ?? 30_000 };
  const fallbackOn = options.fallbackOn;
  const movesOn = (error: MediaConduitError) =>
    typeof fallbackOn === 'function' ? fallbackOn(error) : fallbackOn ? fallbackOn.includes(error.code) : !CALLER_FAULTS.has(error.code);
  const entries: Entry[] = chain.map((item) => {
    if (isRef(item)) {
      let pending: Promise<ModelV1> | undefined;
      const entry: Entry = {
        provider: item.provider,
        model: item.model,
        key: `${item.provider}#${item.model}`,
        resolved: undefined,
        get: () => {
          pending ??= services.resolve(item, capability).then((loaded) => {
            const model = services.wrap(loaded);
            entry.provider = model.info.providerId; // records name the provider by its id once it is loaded
            entry.key = `${services.instanceOf(model)}#${model.id}`;
            entry.resolved = model;
            return model;
          });
          pending.catch(() => {
            pending = undefined; // a failed load is tried again by the next call
          });
          return pending;
        },
      };
      return entry;
    }
    const model = services.wrap(item);
    const provider = item.info.providerId;
    return { provider, model: item.id, key: `${services.instanceOf(model)}#${item.id}`, resolved: model };
  });
  // One call at a time retries a model in trouble; the other calls move on (see RetryGuard).
  const keyOf = (target: CallTargetInfo) => `${target.instance}#${target.model}`;
  const guard: RetryGuard = {
    mayRetry: (target, call) => services.breaker.claimRetry(keyOf(target), call),
    ended: (target, call) => services.breaker.endCall(keyOf(target), call),
  };
  const plainLink: ChainLink = { name, guard };
  /** The last warning about each misconfigured model, to warn once per cooldown window. */
  const warnedAt = new Map<string, number>();

  const callIdOf = (origin: ChainCall): string => {
    origin.callId ??= services.nextCallId();
    return origin.callId;
  };

  /** The chain's record of a call that fell back or failed (built only when someone reads records). */
  function finish(origin: ChainCall, operation: CallRecord['operation'], input: unknown, steps: FallbackStep[], last: Entry | undefined, error?: MediaConduitError): void {
    // A chain's call counts once in the registry's usage: a success through the model that served
    // it, a failure here (each model's own failures count for that model only).
    if (error) services.meter.addChainFailure();
    if (!services.log && !services.events.has('call:end')) return;
    let tries = 0;
    for (const s of steps) if (s.outcome !== 'COOLING_DOWN') tries++;
    const record: CallRecord = {
      kind: 'fallback',
      callId: callIdOf(origin),
      time: origin.time,
      provider: last?.provider ?? name,
      model: last?.model ?? '',
      capability,
      operation,
      status: error ? 'error' : 'ok',
      latencyMs: performance.now() - origin.started,
      attempt: tries,
      input: measureInput(capability, input),
      steps,
      chain: name,
    };
    if (error) {
      record.errorCode = error.code;
      record.errorMessage = recordedMessage(error.message, capability, input);
    }
    services.log?.(record);
    if (services.events.has('call:end')) services.events.emit('call:end', { callId: record.callId, record });
  }

  /**
   * Tries each entry in turn with `invoke`. A call that its first model serves leaves only that
   * model's `call` record (naming the chain); one that moves on also leaves a `fallback` record.
   */
  function run<T>(operation: CallRecord['operation'], input: unknown, callOptions: CallOptionsV1 | undefined, invoke: Invoke<T>, link: ChainLink): Promise<T> {
    const first = entries[0]!;
    const deadlineMs = callOptions?.retry ? callOptions.retry.deadlineMs : undefined;
    if (first.resolved === undefined || deadlineMs !== undefined || services.breaker.tracks(first.key))
      return loop(operation, input, callOptions, invoke, chainCall(deadlineMs), 0, []);
    // The common case, a loaded first model with no failures on record, costs the chain nothing
    // per call: the model's call itself moves on to the rest of the chain (`link.rescue`) if it fails.
    try {
      return invoke(first.resolved, link, input, callOptions);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A call of the chain starting now; with a deadline, it bounds the whole chain. */
  function chainCall(deadlineMs: number | undefined): ChainCall {
    const started = performance.now();
    return { callId: undefined, time: isoNow(), started, deadlineAt: deadlineMs === undefined ? undefined : started + deadlineMs };
  }

  /** The link the first model is called with: made once per method, it carries on with the chain when that call fails. */
  function firstLink(operation: CallRecord['operation'], invoke: Invoke<unknown>): ChainLink {
    return {
      name,
      guard,
      rescue: (thrown, input, callOptions, started, time) => {
        const origin: ChainCall = { callId: undefined, time: time ?? isoNow(), started };
        const steps: FallbackStep[] = [];
        const failure = failed(entries[0]!, 0, thrown, origin, operation, input, callOptions, steps);
        if (failure.final) throw failure.error;
        return loop(operation, input, callOptions, invoke, origin, 1, steps, failure.error);
      },
    };
  }

  /**
   * After `entry` failed: the step, the breaker, and whether the chain stops (a failure that
   * would fail anywhere, or an abort) or moves on (`call:fallback`).
   */
  function failed(
    entry: Entry,
    index: number,
    thrown: unknown,
    origin: ChainCall,
    operation: CallRecord['operation'],
    input: unknown,
    callOptions: CallOptionsV1 | undefined,
    steps: FallbackStep[],
    t0 = origin.started,
  ): { final: boolean; error: MediaConduitError } {
    const error = services.redactError(
      MediaConduitError.isInstance(thrown) ? thrown : mcError('PROVIDER_ERROR', `${name}: ${entry.provider} ${entry.model} failed: ${String(thrown)}`, { cause: thrown }),
    );
    steps.push({ provider: entry.provider, model: entry.model, outcome: error.code, latencyMs: performance.now() - t0 });
    if (MISCONFIGURED.has(error.code)) warnMisconfigured(entry, error);
    const outOfTime = origin.deadlineAt !== undefined && error.code === 'TIMEOUT' && performance.now() >= origin.deadlineAt;
    if (callOptions?.signal?.aborted || error.code === 'ABORTED' || outOfTime || !movesOn(error)) {
      services.breaker.release(entry.key); // not the model's fault: no cooldown
      finish(origin, operation, input, steps, entry, error);
      return { final: true, error };
    }
    services.breaker.failure(entry.key, cooldown);
    const next = entries[index + 1];
    if (next && services.events.has('call:fallback'))
      services.events.emit('call:fallback', {
        callId: callIdOf(origin),
        from: { provider: entry.provider, model: entry.model },
        to: { provider: next.provider, model: next.model },
        error,
        skipped: false,
      });
    return { final: false, error };
  }

  /**
   * A model the chain cannot call for lack of configuration (no API key): the chain still moves on,
   * but says so, once per model and cooldown window, so that a fallback silently serving another
   * provider in production is seen.
   */
  function warnMisconfigured(entry: Entry, error: MediaConduitError): void {
    const now = services.now();
    const last = warnedAt.get(entry.key);
    if (last !== undefined && now - last < Math.max(cooldown.cooldownMs, 1)) return;
    warnedAt.set(entry.key, now);
    services.logger?.warn(`${name}: ${entry.provider} ${entry.model} is not configured, so the chain serves the next model: ${error.message}`, {
      chain: name,
      provider: entry.provider,
      model: entry.model,
      code: error.code,
    });
  }

  /** Tries the entries from `start` on; the chain's `fallback` record when it moved on. */
  async function loop<T>(
    operation: CallRecord['operation'],
    input: unknown,
    callOptions: CallOptionsV1 | undefined,
    invoke: Invoke<T>,
    origin: ChainCall,
    start: number,
    steps: FallbackStep[],
    lastError?: MediaConduitError,
  ): Promise<T> {
    const { events, breaker } = services;
    for (let index = start; index < entries.length; index++) {
      const entry = entries[index]!;
      const next = entries[index + 1];
      if (breaker.admit(entry.key, cooldown) === 'open') {
        steps.push({ provider: entry.provider, model: entry.model, outcome: 'COOLING_DOWN', latencyMs: 0 });
        if (next && events.has('call:fallback'))
          events.emit('call:fallback', { callId: callIdOf(origin), from: entry, to: { provider: next.provider, model: next.model }, error: undefined, skipped: true });
        continue;
      }
      const t0 = index === 0 ? origin.started : performance.now();
      let value: T;
      try {
        value = await invoke(entry.resolved ?? (await entry.get!()), plainLink, input, withinDeadline(origin, callOptions));
      } catch (thrown) {
        const failure = failed(entry, index, thrown, origin, operation, input, callOptions, steps, t0);
        if (failure.final) throw failure.error;
        lastError = failure.error;
        continue;
      }
      breaker.success(entry.key);
      if (steps.length > 0) {
        steps.push({ provider: entry.provider, model: entry.model, outcome: 'ok', latencyMs: performance.now() - t0 });
        finish(origin, operation, input, steps, entry);
        markFallback(value, steps);
      }
      return value;
    }
    const summary = steps.map(
      (s) => `${s.provider} ${s.model}: ${s.outcome === 'COOLING_DOWN' ? 'skipped, cooling down after recent failures' : `${s.outcome} after ${Math.round(s.latencyMs)} ms`}`,
    );
    const error = mcError(
      'ALL_FALLBACKS_FAILED',
      `${name} (${capability}): every model failed:\n${summary.map((s) => `  - ${s}`).join('\n')}${lastError ? `\nlast error: ${services.redact(lastError.message)}` : ''}`,
      {
        cause: lastError,
        retryable: steps.some((s) => s.outcome === 'COOLING_DOWN') || lastError?.retryable === true,
        details: { attempts: steps },
      },
    );
    finish(origin, operation, input, steps, entries.at(-1), error);
    throw error;
  }

  /**
   * The call options for the next model of a chain with a deadline: that model gets what is left of
   * it. None left: the chain ends with `TIMEOUT`, whatever models remain.
   */
  function withinDeadline(origin: ChainCall, callOptions: CallOptionsV1 | undefined): CallOptionsV1 | undefined {
    if (origin.deadlineAt === undefined) return callOptions;
    const left = origin.deadlineAt - performance.now();
    if (left <= 0) {
      const deadlineMs = Math.round(origin.deadlineAt - origin.started);
      throw mcError(
        'TIMEOUT',
        `${name} (${capability}): the chain did not finish within its deadline of ${deadlineMs} ms (retry.deadlineMs), every model's attempts and waits included; raise the deadline or try again later`,
        {
          retryable: true,
          details: { deadlineMs },
        },
      );
    }
    return { ...callOptions, retry: { ...(callOptions?.retry || {}), deadlineMs: left } };
  }

  /** Says on a result that the chain served it after moving past other models, and why. */
  function markFallback(value: unknown, steps: readonly FallbackStep[]): void {
    const fallback = { chain: name, steps: steps.map(({ provider, model, outcome }) => ({ provider, model, outcome })) };
    for (const asset of Array.isArray(value) ? value : [value]) {
      const metadata = (asset as { metadata?: Record<string, unknown> } | null)?.metadata;
      if (metadata && typeof metadata === 'object') metadata.fallback = fallback;
    }
  }

  const model: Record<string, unknown> = {};
  // The chain's retry policy goes under the call's own.
  const chainRetry = options.retry;
  const withRetry = (callOptions: CallOptionsV1 | undefined): CallOptionsV1 | undefined =>
    chainRetry === undefined ? callOptions : { ...callOptions, retry: mergeRetry(chainRetry, callOptions?.retry) };
  for (const method of METHODS[capability]) {
    if (method === 'stream') {
      model.stream = (input: unknown, callOptions?: CallOptionsV1) => streamChain(input, withRetry(callOptions));
    } else {
      // Made once per method: the call itself allocates no function.
      const invoke: Invoke<unknown> = (m, link, input, effective) =>
        (m as unknown as Record<string, (i: unknown, o: CallOptionsV1 | undefined, link: ChainLink) => Promise<unknown>>)[method]!(input, effective, link);
      const link = firstLink(method as CallRecord['operation'], invoke);
      model[method] = (input: unknown, callOptions?: CallOptionsV1) => run(method as CallRecord['operation'], input, withRetry(callOptions), invoke, link);
    }
  }

  /** A stream moves on only before its first part; after that, a failure ends it with a typed error. */
  async function* streamChain(input: unknown, callOptions: CallOptionsV1 | undefined): AsyncGenerator<unknown> {
    // (Not `run`: a stream's first part, not its call, decides whether the chain moves on.)
    const origin = chainCall(callOptions?.retry ? callOptions.retry.deadlineMs : undefined);
    const opened = await loop(
      'stream',
      input,
      callOptions,
      async (m, link) => {
        const chained = m as unknown as { stream(i: unknown, o: CallOptionsV1 | undefined, link: ChainLink): AsyncIterable<unknown> };
        const iterator = chained.stream(input, callOptions, link)[Symbol.asyncIterator]();
        return { iterator, first: await iterator.next() };
      },
      origin,
      0,
      [],
    );
    let done = false;
    try {
      for (let part = opened.first; !part.done; part = await opened.iterator.next()) yield part.value;
      done = true;
    } finally {
      if (!done) await opened.iterator.return?.().catch(() => {});
    }
  }

  return model;
}

/** `over` field by field over `under`; `false` (one attempt) wins when it is the call's. */
function mergeRetry(under: RetryOptionsV1 | false, over: RetryOptionsV1 | false | undefined): RetryOptionsV1 | false {
  if (over === undefined) return under;
  if (over === false) return false;
  return under === false ? { maxRetries: 0, ...over } : { ...under, ...over };
}
