import { MediaConduitError, type ErrorCode } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { isRetryable } from './retryable.js';

const error = (code: ErrorCode, retryable: boolean, status?: number) => new MediaConduitError({ code, message: 'x', retryable, ...(status === undefined ? {} : { status }) });

describe('isRetryable', () => {
  it.each([
    ['408 timeout', error('TIMEOUT', true, 408), true],
    ['409 conflict', error('PROVIDER_ERROR', true, 409), true],
    ['429 rate limit', error('RATE_LIMITED', true, 429), true],
    ['500', error('PROVIDER_ERROR', true, 500), true],
    ['503', error('PROVIDER_ERROR', true, 503), true],
    ['a reset (no status)', error('CONNECTION_FAILED', true), true],
    ['a client-side timeout (no status)', error('TIMEOUT', true), true],
    ['a 503 the service says not to retry (x-should-retry: false)', error('PROVIDER_ERROR', false, 503), false],
    ['400', error('INVALID_INPUT', false, 400), false],
    ['401', error('AUTHENTICATION_FAILED', false, 401), false],
    ['402', error('INSUFFICIENT_CREDITS', false, 402), false],
    ['403', error('PERMISSION_DENIED', false, 403), false],
    ['404', error('MODEL_NOT_FOUND', false, 404), false],
    ['422, even if marked retryable', error('CONTENT_REFUSED', true, 422), false],
    ['400, even if marked retryable', error('INVALID_INPUT', true, 400), false],
    ['an abort', error('ABORTED', true), false],
    ['a failed chain', error('ALL_FALLBACKS_FAILED', true), false],
    ['a malformed 2xx answer (it may have been billed)', error('INVALID_RESPONSE', true), false],
    ['an untyped error', new TypeError('boom'), false],
    ['a string', 'boom', false],
  ])('%s → %s', (_name, thrown, expected) => {
    expect(isRetryable(thrown)).toBe(expected);
  });

  it('retries INVALID_RESPONSE only when the policy says so', () => {
    expect(isRetryable(error('INVALID_RESPONSE', true), { retryInvalidResponse: true })).toBe(true);
    expect(isRetryable(error('INVALID_RESPONSE', true), { retryInvalidResponse: false })).toBe(false);
  });
});
