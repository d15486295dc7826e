import type { ErrorCode } from './error-code.js';

const MARKER = Symbol.for('mediaconduit.error');

/** Fields every {@link MediaConduitError} may carry besides its message. */
export interface MediaConduitErrorFields {
  /** Stable machine-readable code. */
  code: ErrorCode;
  /** What failed, where, and how to fix it. */
  message: string;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Whether repeating the same call may succeed (rate limits, timeouts, 5xx). */
  retryable?: boolean;
  /** HTTP status of a failed provider call. */
  status?: number;
  /** The provider's own error code or type, when it sent one. */
  providerCode?: string;
  /** The provider's request id, for support tickets. */
  requestId?: string;
  /** How long the provider asked us to wait before retrying, in milliseconds. */
  retryAfterMs?: number;
  /** Further structured facts about the failure (names, hashes, lists). */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of MediaConduit. Providers loaded from Git bundle their
 * own code but share core with the host; still, identify errors with
 * {@link MediaConduitError.isInstance} (a `Symbol.for` marker) rather than
 * `instanceof`, so that copies of this class from other bundles also match.
 */
export class MediaConduitError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Whether repeating the same call may succeed. */
  readonly retryable: boolean;
  /** HTTP status of a failed provider call. */
  declare readonly status?: number;
  /** The provider's own error code or type. */
  declare readonly providerCode?: string;
  /** The provider's request id. */
  declare readonly requestId?: string;
  /** Requested wait before a retry, in milliseconds. */
  declare readonly retryAfterMs?: number;
  /** Further structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>>;
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through the Symbol.for marker by isInstance(), across copies of this class
  private readonly [MARKER] = true;

  constructor(fields: MediaConduitErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'MediaConduitError';
    this.code = fields.code;
    this.retryable = fields.retryable ?? false;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.providerCode !== undefined) this.providerCode = fields.providerCode;
    if (fields.requestId !== undefined) this.requestId = fields.requestId;
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
    this.details = fields.details ?? {};
  }

  /** True for any MediaConduit error, whichever copy of core created it. */
  static isInstance(error: unknown): error is MediaConduitError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }

  /** True when `error` is a MediaConduit error with the given code. */
  static hasCode(error: unknown, code: ErrorCode): error is MediaConduitError {
    return MediaConduitError.isInstance(error) && error.code === code;
  }

  /** A plain object for logs and JSON output (no cause chain, no stack). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.providerCode === undefined ? {} : { providerCode: this.providerCode }),
      ...(this.requestId === undefined ? {} : { requestId: this.requestId }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
    };
  }
}

/** Shorthand for `new MediaConduitError(...)`, handy in `throw` expressions. */
export function mcError(code: ErrorCode, message: string, extra: Omit<MediaConduitErrorFields, 'code' | 'message'> = {}): MediaConduitError {
  return new MediaConduitError({ code, message, ...extra });
}
