import { MediaConduitError, type ErrorCode } from '@mediaconduit/provider';
import type { parseMockOptions } from './mock-options.js';
import { seededRandom } from './random.js';

const RETRYABLE: readonly ErrorCode[] = ['RATE_LIMITED', 'TIMEOUT', 'CONNECTION_FAILED', 'PROVIDER_ERROR'];
const STATUS: Partial<Record<ErrorCode, number>> = { RATE_LIMITED: 429, PROVIDER_ERROR: 503, AUTHENTICATION_FAILED: 401, INVALID_INPUT: 400, CONTENT_REFUSED: 422, TIMEOUT: 408 };

/** Injects the configured latency and failures before each call; one instance per provider. */
export class Faults {
  private calls = 0;
  private readonly random: () => number;

  constructor(private readonly options: ReturnType<typeof parseMockOptions>) {
    this.random = seededRandom(options.seed ^ 0x5eed);
  }

  /** Waits the configured latency, then throws if this call is chosen to fail. */
  async before(modelId: string, signal: AbortSignal | undefined): Promise<void> {
    const call = ++this.calls;
    if (this.options.latencyMs > 0) await sleep(this.options.latencyMs, signal);
    if (signal?.aborted) throw aborted(modelId, signal);
    const { failFirst, failAfter, failureRate, failureCode } = this.options;
    const reason =
      call <= failFirst
        ? `first ${failFirst} calls fail`
        : failAfter !== undefined && call > failAfter
          ? `calls after ${failAfter} fail`
          : failureRate > 0 && this.random() < failureRate
            ? `failure rate ${failureRate}`
            : undefined;
    if (reason) {
      const status = STATUS[failureCode];
      throw new MediaConduitError({
        code: failureCode,
        message: `mock ${modelId}: injected failure on call ${call} (${reason})`,
        retryable: RETRYABLE.includes(failureCode),
        ...(status === undefined ? {} : { status }),
        requestId: `mock-${call}`,
      });
    }
  }
}

function aborted(modelId: string, signal: AbortSignal): MediaConduitError {
  return new MediaConduitError({ code: 'ABORTED', message: `mock ${modelId}: the call was aborted`, cause: signal.reason });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted('call', signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted('call', signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
