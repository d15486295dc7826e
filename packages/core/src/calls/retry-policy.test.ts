import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, resolveRetryPolicy, retryDelay, retryOptionsProblems } from './retry-policy.js';

describe('retryDelay', () => {
  const policy = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 });

  it('draws uniformly up to min(cap, base · 2^(n-1)) (full jitter)', () => {
    const cases: [retry: number, random: number, expected: number][] = [
      [1, 0, 0],
      [1, 0.5, 50],
      [1, 0.999, 99.9],
      [2, 1, 200],
      [3, 1, 400],
      [4, 0.5, 400],
      [5, 1, 1000], // 1600 capped at 1000
      [30, 1, 1000],
    ];
    for (const [retry, random, expected] of cases)
      expect(
        retryDelay(policy, retry, undefined, () => random),
        `retry ${retry}, random ${random}`,
      ).toBeCloseTo(expected, 6);
  });

  it('waits exactly what the service asked for, and gives up when that is longer than maxDelayMs', () => {
    expect(retryDelay(policy, 1, 750, () => 0)).toBe(750);
    expect(retryDelay(policy, 3, 0, () => 1)).toBe(0);
    expect(retryDelay(policy, 1, 1000, () => 0)).toBe(1000);
    expect(retryDelay(policy, 1, 1001, () => 0)).toBeUndefined();
  });
});

describe('resolveRetryPolicy', () => {
  it('has documented defaults and merges layers field by field; false means one attempt', () => {
    expect(resolveRetryPolicy()).toEqual({ maxRetries: 2, baseDelayMs: 500, maxDelayMs: 20_000, deadlineMs: undefined, retryInvalidResponse: false });
    expect(resolveRetryPolicy({ maxRetries: 5 }, { baseDelayMs: 10 }, undefined)).toEqual({ ...DEFAULT_RETRY_POLICY, maxRetries: 5, baseDelayMs: 10 });
    expect(resolveRetryPolicy({ maxRetries: 5, deadlineMs: 900 }, false)).toEqual({ ...DEFAULT_RETRY_POLICY, maxRetries: 0, deadlineMs: 900 });
    expect(resolveRetryPolicy(false, { maxRetries: 1 }).maxRetries).toBe(1);
  });

  it('refuses bad options with every problem at once', () => {
    expect(() => resolveRetryPolicy({ maxRetries: -1, baseDelayMs: Number.NaN, deadline: 5 } as never)).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        details: {
          problems: expect.arrayContaining([
            expect.stringContaining('retry.maxRetries'),
            expect.stringContaining('retry.baseDelayMs'),
            expect.stringContaining('retry.deadline: unknown retry option'),
          ]),
        },
      }),
    );
    expect(retryOptionsProblems(3, 'retryByProvider.together')).toEqual(['retryByProvider.together: expected an object such as { maxRetries: 2, baseDelayMs: 500 } or false']);
    expect(retryOptionsProblems({ maxRetries: 2.5 }, 'retry')).toEqual(['retry.maxRetries: expected a whole number from 0 to 100, got 2.5']);
  });
});
