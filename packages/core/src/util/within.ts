import type { MediaConduitError } from '@mediaconduit/provider';

/**
 * Settles like `work`, or rejects with `timeout()` once `ms` have passed, whichever comes first;
 * `onTimeout` runs then (to abort what `work` started). A plain timer, held until `work` settles:
 * unlike `AbortSignal.timeout`, it cannot be garbage-collected before it fires.
 */
export function within<T>(ms: number, work: Promise<T>, timeout: () => MediaConduitError, onTimeout?: (error: MediaConduitError) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = timeout();
      onTimeout?.(error);
      reject(error);
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
