import type { RetryOptionsV1 } from './retry-options-v1.js';

/** Options every model call accepts. */
export interface CallOptionsV1 {
  /** Cancels the call; a cancelled call rejects with an `ABORTED` error. */
  signal?: AbortSignal;
  /** Extra HTTP headers for remote providers (never logged). */
  headers?: Readonly<Record<string, string>>;
  /**
   * How the host's runtime retries this call (merged over the registry's and the provider's
   * policy); `false` makes one attempt only. Read by the runtime only: providers ignore it and
   * never retry on their own.
   */
  retry?: RetryOptionsV1 | false;
}
