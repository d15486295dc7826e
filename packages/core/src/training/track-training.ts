import {
  MediaConduitError,
  trainingJobHandle,
  type LoggerV1,
  type MediaProviderV1,
  type TrainingJobInfoV1,
  type TrainingJobV1,
  type TrainingOptionsV1,
} from '@mediaconduit/provider';
import { boundProxy } from '../util/bound-proxy.js';
import { mcError } from '../util/errors.js';
import type { StoredTrainingJob, TrainingJobStore } from './training-store.js';

/** Where recorded jobs come from, and how to keep secrets out of them. */
export interface TrainingOrigin {
  specifier: string;
  providerId: string;
  config: Readonly<Record<string, unknown>>;
}

interface Services {
  store: TrainingJobStore;
  logger: LoggerV1;
  /** Removes known secrets from text the provider wrote (error messages). */
  redact: (text: string) => string;
}

/**
 * `provider` with its training jobs recorded in the store: on creation, on every status read,
 * while waiting and on cancel. Everything else passes through to the provider.
 */
export function trackTraining(provider: MediaProviderV1, origin: TrainingOrigin, services: Services): MediaProviderV1 {
  const createTrainingJob = async (options: TrainingOptionsV1): Promise<TrainingJobV1> => {
    // A job the store could not record would be lost to other processes: check before anything is uploaded.
    await services.store.assertWritable();
    const job = await provider.createTrainingJob!(options);
    try {
      await record(origin, job.info, services);
    } catch (error) {
      throw mcError(
        'FILE_SYSTEM_ERROR',
        `training job ${job.id} was started at ${origin.providerId}, but recording it failed: ${(error as Error).message}. Follow it with provider.getTrainingJob("${job.id}")`,
        { cause: error, details: { jobId: job.id } },
      );
    }
    return trackJob(job, origin, services);
  };
  const getTrainingJob = async (id: string, options?: Parameters<NonNullable<MediaProviderV1['getTrainingJob']>>[1]) => {
    const job = await provider.getTrainingJob!(id, options);
    await record(origin, job.info, services);
    return trackJob(job, origin, services);
  };
  return boundProxy(provider, {
    ...(typeof provider.createTrainingJob === 'function' ? { createTrainingJob } : {}),
    ...(typeof provider.getTrainingJob === 'function' ? { getTrainingJob } : {}),
  });
}

/** A handle whose every state read is also recorded (writes in order; a failed write is logged, not thrown). */
export function trackJob(job: TrainingJobV1, origin: TrainingOrigin, services: Services): TrainingJobV1 {
  let writes: Promise<TrainingJobInfoV1> = Promise.resolve(job.info);
  /** Records a state read from the provider; resolves to the state the store keeps (a final one recorded before wins). */
  const persist = (info: TrainingJobInfoV1): Promise<TrainingJobInfoV1> => {
    writes = writes.then(() =>
      record(origin, info, services).then(
        (kept) => kept.job,
        (error: unknown) => {
          services.logger.warn(`training job ${info.id}: recording its state failed`, { error: (error as Error).message });
          return info;
        },
      ),
    );
    return writes;
  };
  return {
    id: job.id,
    get info() {
      return job.info;
    },
    async status(options) {
      return persist(await job.status(options));
    },
    events: (options) => job.events(options),
    checkpoints: (options) => job.checkpoints(options),
    async cancel(options) {
      return persist(await job.cancel(options));
    },
    async wait(options = {}) {
      let info: TrainingJobInfoV1;
      try {
        info = await job.wait({
          ...options,
          onProgress: (now) => {
            void persist(now);
            options.onProgress?.(now);
          },
        });
      } catch (error) {
        await writes;
        throw error;
      }
      const kept = await persist(info);
      // A job recorded as ended another way (cancelled from another process) ended that way.
      if (kept.status !== info.status && (kept.status === 'cancelled' || kept.status === 'failed')) {
        throw mcError('TRAINING_FAILED', `training job ${kept.id} was ${kept.status}${kept.error ? `: ${kept.error}` : ''} (recorded ${kept.updatedAt})`, {
          details: { job: kept },
        });
      }
      return kept;
    },
  };
}

/** A handle over a recorded final state: nothing is polled; events and checkpoints ask the provider. */
export function finishedJob(stored: StoredTrainingJob, provider: () => Promise<TrainingJobV1>): TrainingJobV1 {
  const label = `training job ${stored.job.id} (${stored.providerId}, recorded ${stored.recordedAt})`;
  return trainingJobHandle({
    initial: stored.job,
    read: async () => stored.job,
    events: async (options) => (await provider()).events(options),
    checkpoints: async (options) => (await provider()).checkpoints(options),
    cancel: async () => {
      throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${label}: the job is already ${stored.job.status}; only a job that has not ended can be cancelled` });
    },
    pollIntervalMs: 0,
    label,
  });
}

function record(origin: TrainingOrigin, info: TrainingJobInfoV1, services: Services) {
  const job = info.error === undefined ? info : { ...info, error: services.redact(info.error) };
  return services.store.put(origin, job);
}
