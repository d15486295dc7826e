/**
 * How the host's runtime retries a model call. Retries belong to the runtime, never to a
 * provider: providers make one attempt per call and report `retryable`, `status` and
 * `retryAfterMs` on their errors; the runtime decides whether and when to try again.
 */
export interface RetryOptionsV1 {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts). Default 2. */
  maxRetries?: number;
  /** Backoff base: the n-th retry waits a random time up to `min(maxDelayMs, baseDelayMs · 2^(n-1))`. Default 500. */
  baseDelayMs?: number;
  /**
   * Longest wait before one retry. A `retry-after` longer than this is not waited for: the call
   * fails at once with the provider's error (which carries `retryAfterMs`). Default 20 000.
   */
  maxDelayMs?: number;
  /**
   * Deadline for the whole call, attempts and waits included; `TIMEOUT` when it passes. For a
   * fallback chain, the deadline of the whole chain, every model included. Default: none.
   */
  deadlineMs?: number;
  /**
   * Retry an `INVALID_RESPONSE` (the service answered 2xx with something malformed, such as a cut-off
   * image). Off by default: the call may already have been billed. Default `false`.
   */
  retryInvalidResponse?: boolean;
}
