import { MediaConduitError } from '../errors/mediaconduit-error.js';
import type { CallOptionsV1 } from '../spec/call-options-v1.js';
import type { TrainingCheckpointV1, TrainingEventV1, TrainingJobInfoV1, TrainingJobV1, TrainingWaitOptionsV1 } from '../spec/training-v1.js';

/** What a provider supplies to {@link trainingJobHandle}: how to read and stop one job. */
export interface TrainingJobSource {
  /** The state known when the handle is made. */
  initial: TrainingJobInfoV1;
  read(options?: CallOptionsV1): Promise<TrainingJobInfoV1>;
  events(options?: CallOptionsV1): Promise<TrainingEventV1[]>;
  checkpoints(options?: CallOptionsV1): Promise<TrainingCheckpointV1[]>;
  cancel(options?: CallOptionsV1): Promise<TrainingJobInfoV1>;
  /** Default time between status reads in `wait()`. */
  pollIntervalMs: number;
  /** Names the job in messages, e.g. `together training ft-123`. */
  label: string;
}

/** Status reads that fail in a row with a retryable error before `wait()` gives up. */
const MAX_READ_FAILURES = 5;

/**
 * A {@link TrainingJobV1} over a provider's reads: one implementation of `wait()` (polling with
 * an abortable sleep, `onProgress` after each read, transient read failures tolerated) for every
 * provider.
 */
export function trainingJobHandle(source: TrainingJobSource): TrainingJobV1 {
  let info = source.initial;
  const keep = (next: TrainingJobInfoV1) => {
    info = next;
    return next;
  };
  return {
    id: source.initial.id,
    get info() {
      return info;
    },
    status: async (options) => keep(await source.read(options)),
    events: (options) => source.events(options),
    checkpoints: (options) => source.checkpoints(options),
    cancel: async (options) => keep(await source.cancel(options)),
    async wait(options: TrainingWaitOptionsV1 = {}) {
      const interval = options.pollIntervalMs ?? source.pollIntervalMs;
      if (!(interval >= 0)) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${source.label}: pollIntervalMs must be a number of at least 0, got ${interval}` });
      let failures = 0;
      for (;;) {
        if (options.signal?.aborted) throw stoppedWaiting(source.label, options.signal);
        try {
          keep(await source.read({ signal: options.signal }));
          failures = 0;
        } catch (error) {
          const retryable = MediaConduitError.isInstance(error) && error.retryable && error.code !== 'ABORTED';
          if (!retryable || ++failures >= MAX_READ_FAILURES) throw error;
        }
        options.onProgress?.(info);
        if (info.status === 'completed') return info;
        if (info.status === 'failed' || info.status === 'cancelled') {
          throw new MediaConduitError({
            code: 'TRAINING_FAILED',
            message: `${source.label}: the job ${info.status === 'failed' ? `failed${info.error ? `: ${info.error}` : ''}` : 'was cancelled'} (provider status "${info.providerStatus}")`,
            details: { job: info },
          });
        }
        await sleep(interval, options.signal, source.label);
      }
    },
  };
}

function stoppedWaiting(label: string, signal: AbortSignal): MediaConduitError {
  return new MediaConduitError({ code: 'ABORTED', message: `${label}: stopped waiting; the job goes on (cancel() stops it)`, cause: signal.reason });
}

function sleep(ms: number, signal: AbortSignal | undefined, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stoppedWaiting(label, signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(stoppedWaiting(label, signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
