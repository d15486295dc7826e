import { abortError } from '../util/errors.js';

/** Waits `ms`; rejects at once with a typed `ABORTED` (or the signal's own typed reason) when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, operation: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(operation, signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(operation, signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
