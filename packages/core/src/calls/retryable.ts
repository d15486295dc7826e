import { MediaConduitError } from '@mediaconduit/provider';

/** Statuses that never succeed on a second try: the request itself is wrong, or not allowed. */
const FINAL_STATUSES = new Set([400, 401, 402, 403, 404, 422]);

/**
 * Whether the runtime may retry after `error`: a typed error the provider marked retryable
 * (408, 409, 429, 5xx, connection resets, timeouts), never a 400/401/402/403/404/422, never an
 * abort, and never an untyped error (a bug in the provider's code is not a transient failure).
 * An `INVALID_RESPONSE` (a malformed 2xx answer, which may already have been billed) only when
 * `options.retryInvalidResponse` says so.
 */
export function isRetryable(error: unknown, options: { retryInvalidResponse?: boolean } = {}): boolean {
  if (!MediaConduitError.isInstance(error)) return false;
  if (error.code === 'ABORTED' || error.code === 'ALL_FALLBACKS_FAILED') return false;
  if (error.code === 'INVALID_RESPONSE') return options.retryInvalidResponse === true;
  if (error.status !== undefined && FINAL_STATUSES.has(error.status)) return false;
  return error.retryable;
}
