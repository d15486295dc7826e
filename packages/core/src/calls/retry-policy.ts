import type { RetryOptionsV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';

/** A retry policy with every default applied. */
export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  deadlineMs: number | undefined;
  retryInvalidResponse: boolean;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  deadlineMs: undefined,
  retryInvalidResponse: false,
});

const NUMBERS: Record<Exclude<keyof RetryOptionsV1, 'retryInvalidResponse'>, (value: number) => boolean> = {
  maxRetries: (v) => Number.isInteger(v) && v >= 0 && v <= 100,
  baseDelayMs: (v) => Number.isFinite(v) && v >= 0,
  maxDelayMs: (v) => Number.isFinite(v) && v >= 0,
  deadlineMs: (v) => Number.isFinite(v) && v > 0,
};
const KNOWN = [...Object.keys(NUMBERS), 'retryInvalidResponse'];

/** Every problem with `options` as retry options (`where` names them in messages); empty when they are fine. */
export function retryOptionsProblems(options: unknown, where: string): string[] {
  if (options === undefined || options === false) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return [`${where}: expected an object such as { maxRetries: 2, baseDelayMs: 500 } or false`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (key === 'retryInvalidResponse') {
      if (value !== undefined && typeof value !== 'boolean') problems.push(`${where}.${key}: expected true or false, got ${JSON.stringify(value)}`);
      continue;
    }
    const ok = NUMBERS[key as keyof typeof NUMBERS];
    if (!ok) problems.push(`${where}.${key}: unknown retry option; expected one of ${KNOWN.join(', ')}`);
    else if (value !== undefined && (typeof value !== 'number' || !ok(value)))
      problems.push(
        `${where}.${key}: expected ${key === 'maxRetries' ? 'a whole number from 0 to 100' : key === 'deadlineMs' ? 'a positive number of milliseconds' : 'a number of milliseconds ≥ 0'}, got ${JSON.stringify(value)}`,
      );
  }
  return problems;
}

/** Merges layers of retry options (later layers win field by field; `false` means one attempt). */
export function resolveRetryPolicy(...layers: (RetryOptionsV1 | false | undefined)[]): RetryPolicy {
  let policy: RetryPolicy = DEFAULT_RETRY_POLICY;
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer === false) {
      policy = { ...policy, maxRetries: 0 };
      continue;
    }
    const problems = retryOptionsProblems(layer, 'retry');
    if (problems.length > 0) throw mcError('INVALID_OPTIONS', `invalid retry options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { details: { problems } });
    policy = {
      maxRetries: layer.maxRetries ?? policy.maxRetries,
      baseDelayMs: layer.baseDelayMs ?? policy.baseDelayMs,
      maxDelayMs: layer.maxDelayMs ?? policy.maxDelayMs,
      deadlineMs: layer.deadlineMs ?? policy.deadlineMs,
      retryInvalidResponse: layer.retryInvalidResponse ?? policy.retryInvalidResponse,
    };
  }
  return policy;
}

/**
 * How long to wait before retry number `retry` (1 for the first): exponential backoff with full
 * jitter (a uniform draw up to `min(maxDelayMs, baseDelayMs · 2^(retry-1))`), or exactly what the
 * service asked for (`retryAfterMs`, from `retry-after`, `retry-after-ms` or a rate-limit reset).
 * `undefined` when the service asks for longer than `maxDelayMs`: not worth waiting for.
 */
export function retryDelay(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random: () => number): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs <= policy.maxDelayMs ? retryAfterMs : undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return random() * ceiling;
}
