/** Options of the per-model circuit breaker of fallback chains. */
export interface CooldownOptions {
  /** Failed calls in a row (after their retries) that open the circuit. Default 1. */
  afterFailures?: number;
  /** How long an open circuit skips the model before one probe call may try it. Default 30 000 ms; 0 disables. */
  cooldownMs?: number;
}

interface State {
  failures: number;
  openUntil: number;
  probing: boolean;
  /** The one call that may retry the model while it is in trouble. */
  retrier?: object | undefined;
}

/**
 * Per-model cooldowns. A model that failed `afterFailures` calls in a row is skipped for
 * `cooldownMs`; then one call may probe it (half-open) while other calls still skip it. A
 * successful probe closes the circuit; a failed one opens it for another `cooldownMs`.
 */
export class CircuitBreaker {
  private readonly states = new Map<string, State>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether a call may use `key` now; `'probe'` when this call is the half-open probe. */
  admit(key: string, options: Required<CooldownOptions>): 'closed' | 'probe' | 'open' {
    const state = this.states.get(key);
    if (!state || state.failures < options.afterFailures || options.cooldownMs === 0) return 'closed';
    if (this.now() < state.openUntil || state.probing) return 'open';
    state.probing = true;
    return 'probe';
  }

  /** Whether the breaker holds any state for `key` (recent failures, an open circuit, a probe). */
  tracks(key: string): boolean {
    return this.states.has(key);
  }

  /** The call ended for a reason that says nothing about the model (an abort, bad input): a probe slot is freed, nothing else changes. */
  release(key: string): void {
    const state = this.states.get(key);
    if (state) state.probing = false;
  }

  /**
   * Before a retry of `key` by `call`: whether it may retry. While the model is in trouble, one call
   * at a time retries it (the first to ask); the others give up, so that their chains move on
   * instead of each running all its retries against a dead endpoint.
   */
  claimRetry(key: string, call: object): boolean {
    let state = this.states.get(key);
    if (!state) {
      state = { failures: 0, openUntil: 0, probing: false };
      this.states.set(key, state);
    }
    state.retrier ??= call;
    return state.retrier === call;
  }

  /** `call` ended: it no longer holds the retry of `key`. */
  endCall(key: string, call: object): void {
    const state = this.states.get(key);
    if (state?.retrier === call) state.retrier = undefined;
  }

  success(key: string): void {
    this.states.delete(key);
  }

  failure(key: string, options: Required<CooldownOptions>): void {
    const state = this.states.get(key) ?? { failures: 0, openUntil: 0, probing: false };
    state.failures++;
    state.probing = false;
    if (state.failures >= options.afterFailures) state.openUntil = this.now() + options.cooldownMs;
    this.states.set(key, state);
  }
}
