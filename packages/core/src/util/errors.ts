import { MediaConduitError, type ErrorCode, type MediaConduitErrorFields } from '@mediaconduit/provider';

/** Shorthand for `new MediaConduitError(...)`, handy in `throw` expressions. */
export function mcError(code: ErrorCode, message: string, extra: Omit<MediaConduitErrorFields, 'code' | 'message'> = {}): MediaConduitError {
  return new MediaConduitError({ code, message, ...extra });
}

/** Turns an aborted signal's reason into an `ABORTED` error naming the operation. */
export function abortError(operation: string, signal?: AbortSignal): MediaConduitError {
  const reason: unknown = signal?.reason;
  if (MediaConduitError.isInstance(reason)) return reason;
  const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
  return mcError(timedOut ? 'TIMEOUT' : 'ABORTED', `${operation}: ${timedOut ? 'timed out' : 'aborted'}`, { cause: reason, retryable: timedOut });
}
