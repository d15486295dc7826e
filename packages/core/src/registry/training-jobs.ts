import { isFinalTrainingStatus, type MediaProviderV1, type TrainingJobV1 } from '@mediaconduit/provider';
import { redactSpecifier } from '../source/parse-specifier.js';
import { finishedJob, trackTraining } from '../training/track-training.js';
import { publicConfig, type StoredTrainingJob, TrainingJobStore } from '../training/training-store.js';
import { mcError } from '../util/errors.js';
import type { GetProviderOptions, RegistryCore } from './registry-core.js';

const stores = new WeakMap<RegistryCore, TrainingJobStore>();

/** The registry's training job store (`trainingDir`), made on first use. */
export function trainingStore(core: RegistryCore): TrainingJobStore {
  let store = stores.get(core);
  if (!store) {
    store = new TrainingJobStore(core.options.trainingDir);
    stores.set(core, store);
  }
  return store;
}

/** `provider` with every training job it creates or reads recorded in the registry's job store; other providers as they are. */
export function withTrainingRecorded(
  core: RegistryCore,
  provider: MediaProviderV1,
  specifier: string,
  providerId: string,
  config: Readonly<Record<string, unknown>>,
): MediaProviderV1 {
  return trackTraining(
    provider,
    { specifier: redactSpecifier(specifier), providerId, config: publicConfig(config) },
    { store: trainingStore(core), logger: core.options.logger, redact: core.secrets.redact },
  );
}

/** Training jobs recorded in the registry's job store, newest first; records that cannot be read are skipped with a warning. */
export async function trainingJobs(core: RegistryCore, options: { provider?: string } = {}): Promise<StoredTrainingJob[]> {
  const all = await trainingStore(core).list((path, problem) => core.options.logger.warn(`training job store: skipped ${path}: ${problem}`));
  return options.provider === undefined ? all : all.filter((j) => j.providerId === options.provider || j.specifier === options.provider);
}

/**
 * A handle on a recorded job, to follow it from a new process: loads its provider from the
 * recorded specifier and settings (`options.config` over them) and asks it for the job. A job
 * recorded as ended is answered from the record.
 */
export async function resumeTrainingJob(core: RegistryCore, id: string, options: GetProviderOptions & { specifier?: string } = {}): Promise<TrainingJobV1> {
  const stored = (await trainingJobs(core)).filter((j) => j.job.id === id && (options.specifier === undefined || j.specifier === options.specifier));
  if (stored.length === 0) {
    throw mcError(
      'INVALID_INPUT',
      `resumeTrainingJob: no recorded training job "${id}" in ${core.options.trainingDir}${options.specifier ? ` for ${options.specifier}` : ''}; registry.trainingJobs() lists the recorded ones (a job started with another trainingDir is recorded there)`,
    );
  }
  if (stored.length > 1 && options.specifier === undefined) {
    throw mcError('INVALID_INPUT', `resumeTrainingJob: job id "${id}" is recorded for several providers (${stored.map((j) => j.specifier).join(', ')}); pass { specifier }`);
  }
  return resumeRecorded(core, stored[0]!, options);
}

/**
 * The provider a recorded job names, loaded with the recorded settings (`options.config` over
 * them). A record is state in the cache, which anyone who can write the cache can edit: with a
 * lockfile, the specifier must be one it pins, so that an edited record never has other code
 * loaded and run (without one, the records are trusted as they stand).
 *
 * @throws `INTEGRITY_MISMATCH` naming the job, the specifier and the lockfile.
 */
export async function recordedJobProvider(core: RegistryCore, record: StoredTrainingJob, options: GetProviderOptions = {}): Promise<MediaProviderV1> {
  const lockfile = core.lock.path;
  if (lockfile !== false && !(await core.lock.pins(core.parse(record.specifier).key))) {
    throw mcError(
      'INTEGRITY_MISMATCH',
      `training job ${record.job.id}: its record names the provider ${record.specifier}, which the lockfile ${lockfile} does not pin; a job's provider is loaded only as the lockfile pins it, since its record lies in the cache, where it can be edited. If the job is yours, load the provider once (registry.getProvider, or \`mediaconduit load\`) to pin it, or delete the record (${trainingStore(core).recordPath(record.specifier, record.job.id)})`,
      { details: { job: record.job.id, specifier: record.specifier, lockfile } },
    );
  }
  return core.getProvider(record.specifier, { config: { ...record.config, ...options.config }, ...(options.signal ? { signal: options.signal } : {}) });
}

/** A handle on the job of `record` (see {@link resumeTrainingJob}). */
export async function resumeRecorded(core: RegistryCore, record: StoredTrainingJob, options: GetProviderOptions = {}): Promise<TrainingJobV1> {
  const id = record.job.id;
  const load = async () => {
    const provider = await recordedJobProvider(core, record, options);
    if (typeof provider.getTrainingJob !== 'function')
      throw mcError('UNSUPPORTED', `resumeTrainingJob: provider ${record.specifier} (${record.providerId}) offers no training in its loaded version`);
    return provider.getTrainingJob(id, options.signal ? { signal: options.signal } : {});
  };
  if (isFinalTrainingStatus(record.job.status)) return finishedJob(record, load);
  return load();
}
