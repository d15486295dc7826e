import { MediaConduitError, type Capability, type CallOptionsV1, type ModelPricingV1, type TextStreamPartV1, type UsageV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { isoNow } from '../util/iso-now.js';
import { abortableSleep } from './abortable-sleep.js';
import type { CallEventEmitter } from './call-events.js';
import type { CallOutputSize, CallRecord } from './call-record.js';
import { bounded, MAX_ERROR_MESSAGE, recordedMessage } from './error-text.js';
import { measureInput, outputOf, usageOf } from './measure-call.js';
import { costOf } from './pricing-cost.js';
import { resolveRetryPolicy, retryDelay, type RetryPolicy } from './retry-policy.js';
import { isRetryable } from './retryable.js';
import type { MeterSlot, UsageMeter } from './usage-meter.js';

/** What the runtime shares with every wrapped call. */
export interface CallServices {
  events: CallEventEmitter;
  /** Writes a record to every sink (and nothing when there are none). */
  log: ((record: CallRecord) => void) | undefined;
  meter: UsageMeter;
  /** Removes every known secret from a message. */
  redact: (text: string) => string;
  /** Removes every known secret from an error, in place: message, stack, details and cause chain. */
  redactError: (error: MediaConduitError) => MediaConduitError;
  random: () => number;
  nextCallId: () => string;
}

/** One wrapped model: who it is, its retry policy before per-call options, and where its usage adds up. */
export interface CallTargetInfo {
  provider: string;
  model: string;
  /**
   * The provider instance that serves it (its source and settings, secrets hashed): what cooldowns
   * are kept by, so that a failure at one endpoint or key never benches a healthy one. The
   * provider id when the model was not handed out by a registry.
   */
  instance: string;
  capability: Capability;
  pricing: ModelPricingV1 | undefined;
  policy: RetryPolicy;
  /** Looked up at the model's first call. */
  slot: MeterSlot | undefined;
}

type Operation = CallRecord['operation'];

/** A model method and its model, made once per wrapped method (not once per call). */
export interface Callee<T> {
  self: unknown;
  fn: (input: unknown, options?: CallOptionsV1) => T;
}

/**
 * What a fallback chain hands the model it calls: its name (for the record), and what to do when
 * the call finally fails (move on to the next model), so that a call its first model serves costs
 * the chain no promise of its own.
 */
export interface ChainLink {
  name: string;
  /** Called with the call's final error, its input and options, and when it started. */
  rescue?: (error: unknown, input: unknown, options: CallOptionsV1 | undefined, started: number, time: string | undefined) => Promise<unknown>;
  /** The chain's circuit breaker, consulted before each retry (see {@link RetryGuard}). */
  guard?: RetryGuard;
}

/**
 * Whether a call of a model in a chain may retry now. While a model is in trouble, only one call
 * at a time retries it; the others give up at once and their chains move on, so that concurrent
 * calls against a dead endpoint do not each run all their retries.
 */
export interface RetryGuard {
  /** Before a retry: may `call` retry? (The first call to ask while none does becomes the one that retries.) */
  mayRetry(target: CallTargetInfo, call: object): boolean;
  /** The call ended (in success or failure): it no longer holds the model's retry. */
  ended(target: CallTargetInfo, call: object): void;
}

/** Who is asking: the call's own id and start, and the fallback chain it runs in, if any. */
interface Origin {
  callId: string | undefined;
  time: string | undefined;
  started: number;
  chain: string | undefined;
}

/** Whether anyone reads records or call events (records are built only then). */
const observed = (services: CallServices) => services.log !== undefined || services.events.has('call:end') || services.events.has('call:start');

function begin(services: CallServices, target: CallTargetInfo, operation: Operation, chain: string | undefined): Origin {
  const origin: Origin = { callId: undefined, time: undefined, started: performance.now(), chain };
  if (services.log !== undefined || services.events.has('call:end')) origin.time = isoNow();
  if (services.events.has('call:start')) {
    origin.callId = services.nextCallId();
    origin.time = isoNow();
    services.events.emit('call:start', { callId: origin.callId, provider: target.provider, model: target.model, capability: target.capability, operation, time: origin.time });
  }
  return origin;
}

/** The skeleton of a record of this call. */
function record(
  services: CallServices,
  target: CallTargetInfo,
  operation: Operation,
  input: unknown,
  origin: Origin,
  kind: 'attempt' | 'call',
  ok: boolean,
  latencyMs: number,
  attempt: number,
): CallRecord {
  origin.callId ??= services.nextCallId();
  origin.time ??= isoNow();
  // Every field from the start (absent ones undefined, which JSON leaves out): a record is made
  // per call, and an object of fixed shape is the cheapest to make, fill and keep.
  return {
    kind,
    callId: origin.callId,
    time: origin.time,
    provider: target.provider,
    model: target.model,
    capability: target.capability,
    operation,
    status: ok ? 'ok' : 'error',
    latencyMs,
    attempt,
    input: measureInput(target.capability, input),
    output: undefined,
    usage: undefined,
    costUsd: undefined,
    errorCode: undefined,
    errorMessage: undefined,
    httpStatus: undefined,
    requestId: undefined,
    chain: origin.chain,
  };
}

/** Ends a call in success: meter, cost on the assets, the `call` record and `call:end`. */
function succeed(
  services: CallServices,
  target: CallTargetInfo,
  operation: Operation,
  input: unknown,
  origin: Origin,
  attempt: number,
  result: unknown,
  streamed?: { output: CallOutputSize; usage: UsageV1 | undefined },
): void {
  const usage = streamed ? streamed.usage : usageOf(target.capability, input, result);
  const costUsd = costOf(usage, target.pricing);
  target.slot ??= services.meter.slot(target.provider, target.model);
  services.meter.add(target.slot, true, usage, costUsd);
  if (costUsd !== undefined) {
    if (Array.isArray(result)) for (const asset of result) setCost(asset, costUsd / result.length);
    else setCost(result, costUsd);
  }
  if (!observed(services)) return;
  const line = record(services, target, operation, input, origin, 'call', true, performance.now() - origin.started, attempt);
  if (streamed) line.output = streamed.output;
  else ({ output: line.output, requestId: line.requestId } = outputOf(target.capability, result));
  line.usage = usage;
  line.costUsd = costUsd;
  services.log?.(line);
  if (services.events.has('call:end')) services.events.emit('call:end', { callId: line.callId, record: line });
}

function setCost(asset: unknown, costUsd: number): void {
  const metadata = (asset as { metadata?: { costUsd?: number } } | null)?.metadata;
  if (metadata && typeof metadata === 'object') metadata.costUsd = costUsd;
}

/** The state of a call that needs more than one plain attempt: retries, a deadline, per-call options. */
class Retrying {
  readonly policy: RetryPolicy;
  readonly label: string;
  readonly signal: AbortSignal | undefined;
  readonly providerOptions: CallOptionsV1 | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private unlink: (() => void) | undefined;
  attempt = 0;
  attemptStarted = 0;

  constructor(
    readonly services: CallServices,
    readonly target: CallTargetInfo,
    readonly operation: Operation,
    readonly input: unknown,
    readonly origin: Origin,
    options: CallOptionsV1 | undefined,
    readonly guard?: RetryGuard | undefined,
  ) {
    this.policy = options?.retry === undefined ? target.policy : resolveRetryPolicy(target.policy, options.retry);
    this.label = `${target.provider} ${target.model}`;
    const deadlineMs = this.policy.deadlineMs;
    if (deadlineMs === undefined) {
      this.signal = options?.signal;
    } else {
      // One controller for the whole call: the caller's abort and the deadline both end it.
      const controller = new AbortController();
      const outer = options?.signal;
      if (outer?.aborted) controller.abort(outer.reason);
      else if (outer) {
        const forward = () => controller.abort(outer.reason);
        outer.addEventListener('abort', forward, { once: true });
        this.unlink = () => outer.removeEventListener('abort', forward);
      }
      const left = Math.max(0, deadlineMs - (performance.now() - origin.started));
      this.deadline = setTimeout(
        () =>
          controller.abort(
            mcError(
              'TIMEOUT',
              `${this.label}: the call did not finish within its deadline of ${deadlineMs} ms (retry.deadlineMs), attempts and waits included; raise the deadline or try again later`,
              {
                details: { deadlineMs },
              },
            ),
          ),
        left,
      );
      this.signal = controller.signal;
    }
    // The provider sees neither `retry` nor the caller's signal when the runtime put its own in place.
    this.providerOptions = deadlineMs === undefined && options?.retry === undefined ? options : { ...options, retry: undefined, signal: this.signal };
  }

  beginAttempt(): void {
    this.attempt++;
    this.attemptStarted = performance.now();
  }

  /**
   * The typed form of what an attempt threw (an untyped throw is the provider's bug:
   * `PROVIDER_ERROR`), without any known secret: from here on, listeners, records and the caller
   * see only the redacted error.
   */
  typed(error: unknown): MediaConduitError {
    const typed = this.services.redactError(typedError(error, this.signal, this.label));
    // A service's error text may be megabytes: what is handed on is bounded.
    if (typed.message.length > MAX_ERROR_MESSAGE) {
      typed.message = bounded(typed.message, MAX_ERROR_MESSAGE);
      if (typed.stack) typed.stack = `${typed.name}: ${typed.message}`;
    }
    return typed;
  }

  /** After a failed attempt: how long to wait before the next, or undefined to give up now. */
  retryWait(error: MediaConduitError): number | undefined {
    if (this.attempt > this.policy.maxRetries || !isRetryable(error, this.policy) || this.signal?.aborted) return undefined;
    if (this.guard && !this.guard.mayRetry(this.target, this)) return undefined;
    const delay = retryDelay(this.policy, this.attempt, error.retryAfterMs, this.services.random);
    if (delay === undefined) return undefined;
    const deadlineMs = this.policy.deadlineMs;
    if (deadlineMs !== undefined && performance.now() - this.origin.started + delay >= deadlineMs) return undefined;
    return delay;
  }

  /** Logs the failed attempt, announces the retry and waits for it. */
  async retryAfter(delay: number, error: MediaConduitError): Promise<void> {
    const { services, target } = this;
    if (services.log) services.log(this.failure('attempt', performance.now() - this.attemptStarted, error));
    if (services.events.has('call:retry')) {
      this.origin.callId ??= services.nextCallId();
      services.events.emit('call:retry', { callId: this.origin.callId, provider: target.provider, model: target.model, attempt: this.attempt, delayMs: delay, error });
    }
    try {
      await abortableSleep(delay, this.signal, `${this.label}: waiting to retry`);
    } catch (aborted) {
      throw this.typed(aborted);
    }
  }

  private failure(kind: 'attempt' | 'call', latencyMs: number, error: MediaConduitError): CallRecord {
    const line = record(this.services, this.target, this.operation, this.input, this.origin, kind, false, latencyMs, this.attempt);
    line.errorCode = error.code;
    line.errorMessage = recordedMessage(error.message, this.target.capability, this.input);
    if (error.status !== undefined) line.httpStatus = error.status;
    if (error.requestId !== undefined) line.requestId = error.requestId;
    return line;
  }

  /** Ends the call in failure: the meter, the `call` record, `call:end`; returns the error to throw. */
  failed(error: MediaConduitError): MediaConduitError {
    this.dispose();
    const { services, target } = this;
    target.slot ??= services.meter.slot(target.provider, target.model);
    // In a chain, a failed model is an attempt of the chain's call: the chain counts the call itself.
    services.meter.add(target.slot, false, undefined, undefined, this.origin.chain === undefined);
    if (observed(services)) {
      const line = this.failure('call', performance.now() - this.origin.started, error);
      services.log?.(line);
      if (services.events.has('call:end')) services.events.emit('call:end', { callId: line.callId, record: line });
    }
    return error;
  }

  dispose(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.unlink?.();
    this.guard?.ended(this.target, this);
  }
}

function typedError(error: unknown, signal: AbortSignal | undefined, label: string): MediaConduitError {
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  // When the deadline fired, the provider's own abort error is replaced by the deadline's TIMEOUT.
  if (MediaConduitError.hasCode(reason, 'TIMEOUT') && !MediaConduitError.hasCode(error, 'TIMEOUT')) return reason;
  if (MediaConduitError.isInstance(error)) return error;
  if (signal?.aborted) return mcError('ABORTED', `${label}: the call was aborted`, { cause: reason });
  const name = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return mcError('PROVIDER_ERROR', `${label}: the provider failed with an untyped error (${name}); this is a bug in the provider`, { cause: error });
}

/**
 * Runs a one-shot call (`transform`, `transformMany`) with the runtime's retries, log and meter.
 * The common case (no per-call options, no deadline, a first attempt that succeeds) takes a
 * short path: one `then` on the provider's promise, nothing built that nobody reads. Everything
 * else goes through {@link Retrying}.
 */
export function runCall<T>(
  services: CallServices,
  target: CallTargetInfo,
  operation: Operation,
  input: unknown,
  options: CallOptionsV1 | undefined,
  callee: Callee<Promise<T>>,
  link?: ChainLink,
): Promise<T> {
  const origin = begin(services, target, operation, link?.name);
  if (options?.retry !== undefined || target.policy.deadlineMs !== undefined)
    return rescued(retrying(new Retrying(services, target, operation, input, origin, options, link?.guard), callee), link, input, options, origin);
  let first: Promise<T>;
  try {
    first = callee.fn.call(callee.self, input, options);
  } catch (error) {
    first = Promise.reject(error); // a provider method that throws before returning a promise
  }
  return first.then(
    (result) => {
      succeed(services, target, operation, input, origin, 1, result);
      return result;
    },
    (thrown: unknown) => {
      const call = new Retrying(services, target, operation, input, origin, options, link?.guard);
      call.attempt = 1;
      call.attemptStarted = origin.started;
      return rescued(retrying(call, callee, thrown), link, input, options, origin);
    },
  );
}

function rescued<T>(call: Promise<T>, link: ChainLink | undefined, input: unknown, options: CallOptionsV1 | undefined, origin: Origin): Promise<T> {
  const rescue = link?.rescue;
  return rescue ? (call.catch((error: unknown) => rescue(error, input, options, origin.started, origin.time)) as Promise<T>) : call;
}

/** The retry loop, entered from the start or after a failed first attempt (`thrown`). */
async function retrying<T>(call: Retrying, callee: Callee<Promise<T>>, ...failedFirst: [thrown: unknown] | []): Promise<T> {
  if (failedFirst.length > 0) {
    const error = call.typed(failedFirst[0]);
    const delay = call.retryWait(error);
    if (delay === undefined) throw call.failed(error);
    await waitOrFail(call, delay, error);
  }
  for (;;) {
    call.beginAttempt();
    let result: T;
    try {
      result = await callee.fn.call(callee.self, call.input, call.providerOptions);
    } catch (thrown) {
      const error = call.typed(thrown);
      const delay = call.retryWait(error);
      if (delay === undefined) throw call.failed(error);
      await waitOrFail(call, delay, error);
      continue;
    }
    call.dispose();
    succeed(call.services, call.target, call.operation, call.input, call.origin, call.attempt, result);
    return result;
  }
}

async function waitOrFail(call: Retrying, delay: number, error: MediaConduitError): Promise<void> {
  try {
    await call.retryAfter(delay, error);
  } catch (aborted) {
    throw call.failed(aborted as MediaConduitError);
  }
}

/**
 * Runs a streamed call. Attempts are retried until the first part arrives; from then on nothing
 * is retried, and a failure ends the stream with a typed error (never a silent truncation).
 */
export async function* runStream(
  services: CallServices,
  target: CallTargetInfo,
  input: unknown,
  options: CallOptionsV1 | undefined,
  callee: Callee<AsyncIterable<TextStreamPartV1>>,
  link?: ChainLink,
): AsyncGenerator<TextStreamPartV1> {
  const call = new Retrying(services, target, 'stream', input, begin(services, target, 'stream', link?.name), options, link?.guard);
  let iterator: AsyncIterator<TextStreamPartV1>;
  let first: IteratorResult<TextStreamPartV1>;
  for (;;) {
    call.beginAttempt();
    try {
      iterator = callee.fn.call(callee.self, input, call.providerOptions)[Symbol.asyncIterator]();
      first = await iterator.next();
      break;
    } catch (thrown) {
      const error = call.typed(thrown);
      const delay = call.retryWait(error);
      if (delay === undefined) throw call.failed(error);
      await waitOrFail(call, delay, error);
    }
  }
  let textChars = 0;
  let usage: UsageV1 | undefined;
  let ended = false;
  try {
    for (let part = first; !part.done; part = await iterator.next()) {
      if (part.value.type === 'text-delta') textChars += part.value.text.length;
      else if (part.value.type === 'finish' && part.value.usage) usage = part.value.usage;
      yield part.value;
    }
  } catch (thrown) {
    ended = true;
    throw call.failed(call.typed(thrown));
  } finally {
    if (!ended) {
      // Also when the consumer stopped early (break, return): the provider's stream is closed, and
      // the call is logged with what it delivered.
      await iterator.return?.().catch(() => {});
      call.dispose();
      const output: CallOutputSize = { textChars };
      if (usage?.outputTokens !== undefined) output.tokens = usage.outputTokens;
      succeed(services, target, 'stream', input, call.origin, call.attempt, undefined, { output, usage });
    }
  }
}
