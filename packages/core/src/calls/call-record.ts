import type { Capability, ErrorCode, UsageV1 } from '@mediaconduit/provider';

/** The size of what a call was given (never the content itself). */
export interface CallInputSize {
  /** Characters of the prompt (all messages' content for a conversation). */
  promptChars?: number;
  /** Messages of a conversation. */
  messages?: number;
  /** Texts embedded in one call. */
  texts?: number;
  /** Bytes of audio to transcribe. */
  audioBytes?: number;
}

/** What a call produced, measured from the result. */
export interface CallOutputSize {
  /** Images returned. */
  images?: number;
  /** Pixel size of the (first) image. */
  width?: number;
  height?: number;
  /** Encoded bytes of all images or audio. */
  bytes?: number;
  /** Seconds of audio produced. */
  audioSeconds?: number;
  /** Characters of text produced. */
  textChars?: number;
  /** Completion tokens, as the provider reported them. */
  tokens?: number;
  /** Vectors returned, and their length. */
  vectors?: number;
  dimensions?: number;
}

/** One step of a fallback chain, in a `fallback` record and in `ALL_FALLBACKS_FAILED` details. */
export interface FallbackStep {
  provider: string;
  model: string;
  /** `ok`, an error code, or `COOLING_DOWN` when the model was skipped by its circuit breaker. */
  outcome: 'ok' | 'COOLING_DOWN' | ErrorCode;
  latencyMs: number;
}

/**
 * One line of the call log.
 * - `call`: one call of a model, its retries included, and its last attempt (`attempt` is the
 *   number of tries). A call made by a fallback chain names the chain in `chain`.
 * - `attempt`: each earlier attempt, one that failed and was retried.
 * - `fallback`: one call of a fallback chain that moved past its first model or failed, with
 *   every model it tried or skipped in `steps`.
 *
 * So a call that succeeds at once is one line. Records hold sizes, never prompts, media or secrets.
 * Fields that do not apply are absent or `undefined` (JSON lines leave them out).
 */
export interface CallRecord {
  kind: 'attempt' | 'call' | 'fallback';
  /** Shared by a call's attempts and its `call` record (and by the calls a chain made). */
  callId: string;
  /** When it started (ISO 8601). */
  time: string;
  provider: string;
  model: string;
  capability: Capability;
  operation: 'transform' | 'transformMany' | 'stream';
  status: 'ok' | 'error';
  latencyMs: number;
  /** For `attempt`: which try (1 for the first). For `call`: how many tries were made (its last attempt's number). */
  attempt: number;
  input: CallInputSize;
  output?: CallOutputSize;
  usage?: UsageV1;
  /** US dollars, when the model's pricing covers what was used. */
  costUsd?: number;
  errorCode?: ErrorCode;
  /** The error's message, with every known secret removed. */
  errorMessage?: string;
  /** HTTP status of a failed attempt. */
  httpStatus?: number;
  requestId?: string;
  /** For `fallback`: every model tried or skipped, in order. */
  steps?: FallbackStep[];
  /** The fallback chain this call ran in (its `name`), if any. */
  chain?: string;
}

/** Where call records go. `write` must not throw for the call's sake; the runtime catches and warns if it does. */
export interface CallLogSink {
  write(record: CallRecord): void;
  /** Flushes and releases what the sink holds (the registry calls it on `close()`). */
  close?(): void | Promise<void>;
}
