// The call engine: what runs model calls (retries, records, fallback chains). Core's entry imports
// it on the first model call, so that importing core and loading a provider stay cheap.
export { runCall, runStream } from './run-call.js';
export { createFallbackCalls } from './with-fallback.js';
export { CircuitBreaker } from './circuit-breaker.js';
