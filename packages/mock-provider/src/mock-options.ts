import { ERROR_CODES, MediaConduitError, type ErrorCode } from '@mediaconduit/provider';

/** Settings of the mock provider, from `getProvider(url, { config })` or `createMockProvider(options)`. */
export interface MockOptions {
  /** Delay before every call answers, in milliseconds (abortable). Default 0. */
  latencyMs?: number;
  /** Probability (0–1) that a call fails, drawn from a PRNG seeded by `seed`. Default 0. */
  failureRate?: number;
  /** Code of injected failures. Default `PROVIDER_ERROR`. */
  failureCode?: ErrorCode;
  /** Fail the first N calls, then succeed (shows retries). Default 0. */
  failFirst?: number;
  /** Succeed N calls, then fail every call after (shows fallbacks). Default: never. */
  failAfter?: number;
  /** Seed of the failure PRNG and the default seed of generated media. Default 0. */
  seed?: number;
  /** How long a simulated training job takes from creation to completion, in milliseconds. Default 3000. */
  trainingMs?: number;
  /** Make training jobs fail half-way with this message (shows failure handling). Default: they succeed. */
  trainingFailure?: string;
}

const KEYS = ['latencyMs', 'failureRate', 'failureCode', 'failFirst', 'failAfter', 'seed', 'trainingMs', 'trainingFailure', 'env'] as const;

/** Checks options strictly, reporting every problem at once with `INVALID_OPTIONS`. */
export function parseMockOptions(
  input: Readonly<Record<string, unknown>>,
): Required<Omit<MockOptions, 'failAfter' | 'trainingFailure'>> & Pick<MockOptions, 'failAfter' | 'trainingFailure'> {
  const problems: string[] = [];
  for (const key of Object.keys(input))
    if (!(KEYS as readonly string[]).includes(key)) problems.push(`${key}: unknown option; expected one of ${KEYS.filter((k) => k !== 'env').join(', ')}`);
  const count = (key: keyof MockOptions, max = Number.MAX_SAFE_INTEGER) => {
    const value = input[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
      problems.push(`${key}: expected a whole number from 0 to ${max}, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const latencyMs = count('latencyMs', 600_000) ?? 0;
  const failFirst = count('failFirst') ?? 0;
  const failAfter = count('failAfter');
  const seed = count('seed', 2 ** 32 - 1) ?? 0;
  const trainingMs = count('trainingMs', 86_400_000) ?? 3000;
  const trainingFailure = input.trainingFailure;
  if (trainingFailure !== undefined && (typeof trainingFailure !== 'string' || trainingFailure === ''))
    problems.push(`trainingFailure: expected a non-empty message, got ${JSON.stringify(trainingFailure)}`);
  const rate = input.failureRate;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))) problems.push(`failureRate: expected a number from 0 to 1, got ${JSON.stringify(rate)}`);
  const code = input.failureCode;
  if (code !== undefined && !(ERROR_CODES as readonly unknown[]).includes(code))
    problems.push(`failureCode: expected an error code such as RATE_LIMITED or PROVIDER_ERROR, got ${JSON.stringify(code)}`);
  if (problems.length > 0) {
    throw new MediaConduitError({ code: 'INVALID_OPTIONS', message: `mock provider: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, details: { problems } });
  }
  return {
    latencyMs,
    failureRate: (rate as number | undefined) ?? 0,
    failureCode: (code as ErrorCode | undefined) ?? 'PROVIDER_ERROR',
    failFirst,
    failAfter,
    seed,
    trainingMs,
    trainingFailure: trainingFailure as string | undefined,
  };
}
