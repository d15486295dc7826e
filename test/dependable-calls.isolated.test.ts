// Every test of dependable calls (retries, fallback chains, the call log, usage and cost) again,
// with each provider in a process of its own: the runtime wraps isolated models as in-process ones.
(globalThis as { mediaconduitTestIsolation?: 'process' }).mediaconduitTestIsolation = 'process';
await import('./dependable-calls.test.js');
