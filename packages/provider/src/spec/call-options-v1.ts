/** Options every model call accepts. */
export interface CallOptionsV1 {
  /** Cancels the call; a cancelled call rejects with an `ABORTED` error. */
  signal?: AbortSignal;
  /** Extra HTTP headers for remote providers (never logged). */
  headers?: Readonly<Record<string, string>>;
}
