import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  const options = { afterFailures: 2, cooldownMs: 1000 };

  it('opens after the given failures in a row, lets one probe through after the cooldown, and closes on its success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(() => now);
    expect(breaker.admit('m', options)).toBe('closed');
    breaker.failure('m', options);
    expect(breaker.admit('m', options)).toBe('closed'); // one failure is not enough
    breaker.failure('m', options);
    expect(breaker.admit('m', options)).toBe('open');
    now = 999;
    expect(breaker.admit('m', options)).toBe('open');
    now = 1000;
    expect(breaker.admit('m', options)).toBe('probe');
    expect(breaker.admit('m', options)).toBe('open'); // only one probe at a time
    breaker.success('m');
    expect(breaker.admit('m', options)).toBe('closed');
  });

  it('a failed probe opens it for another cooldown; a released probe lets the next call probe', () => {
    let now = 0;
    const breaker = new CircuitBreaker(() => now);
    breaker.failure('m', options);
    breaker.failure('m', options);
    now = 1000;
    expect(breaker.admit('m', options)).toBe('probe');
    breaker.failure('m', options);
    expect(breaker.admit('m', options)).toBe('open');
    now = 2000;
    expect(breaker.admit('m', options)).toBe('probe');
    breaker.release('m');
    expect(breaker.admit('m', options)).toBe('probe');
    expect(breaker.admit('other', options)).toBe('closed');
  });

  it('a cooldown of 0 never opens', () => {
    const breaker = new CircuitBreaker(() => 0);
    for (let i = 0; i < 5; i++) breaker.failure('m', { afterFailures: 1, cooldownMs: 0 });
    expect(breaker.admit('m', { afterFailures: 1, cooldownMs: 0 })).toBe('closed');
  });
});

describe('CircuitBreaker retries', () => {
  it('lets one call at a time retry a model; the next may once that one ends', () => {
    const breaker = new CircuitBreaker(() => 0);
    const [a, b] = [{}, {}];
    expect(breaker.claimRetry('m', a)).toBe(true);
    expect(breaker.claimRetry('m', b)).toBe(false);
    expect(breaker.claimRetry('m', a)).toBe(true); // the retrier keeps its place for its next retry
    expect(breaker.claimRetry('other', b)).toBe(true);
    breaker.endCall('m', a);
    expect(breaker.claimRetry('m', b)).toBe(true);
    breaker.success('m');
    expect(breaker.tracks('m')).toBe(false);
  });
});
