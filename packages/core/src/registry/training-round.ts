import { join } from 'node:path';
import { type ImageModelV1, isFinalTrainingStatus, type MediaConduitError } from '@mediaconduit/provider';
import type { StoredTrainingJob, TrainingSample } from '../training/training-store.js';
import type { RegistryCore } from './registry-core.js';
import { recordedJobProvider, resumeRecorded, trainingJobs, trainingStore } from './training-jobs.js';
import type { RoundHooks, TrainingRound, WatchState, WatchTrainingJobsOptions } from './training-watch-types.js';

// The work of a training watcher's round, loaded with the rest of the training code on first use
// (an application that never trains never loads it).

/** Failed attempts at one sample before it is recorded as failed. */
const SAMPLE_ATTEMPTS = 3;
/** How long a job may go unread, for reasons that may pass, before a watcher stops following it. */
const GIVE_UP_AFTER_MS = 30 * 60_000;

/** One round of a watcher: reads every unfinished job once, and makes the samples owed. */
export async function trainingRound(core: RegistryCore, options: WatchTrainingJobsOptions, state: WatchState, hooks: RoundHooks): Promise<TrainingRound> {
  const recorded = await trainingJobs(core, options.provider === undefined ? {} : { provider: options.provider });
  const unfinished: StoredTrainingJob[] = [];
  const givenUp: StoredTrainingJob[] = [];
  let samplesOwed = 0;
  for (const stored of recorded) {
    if (hooks.signal.aborted) break;
    const key = `${stored.specifier}\0${stored.job.id}`;
    if (state.givenUp.has(key) && !isFinalTrainingStatus(stored.job.status)) {
      unfinished.push(stored);
      givenUp.push(stored);
      continue;
    }
    let now = stored;
    if (!isFinalTrainingStatus(stored.job.status)) {
      try {
        // Reading the job records its new state; the record is then read back (one file).
        await resumeRecorded(core, stored, { signal: hooks.signal, ...(options.config ? { config: options.config } : {}) });
        now = (await trainingStore(core).get(stored.specifier, stored.job.id)) ?? stored;
        state.failingSince.delete(key);
      } catch (error) {
        if (hooks.signal.aborted) break; // the watcher is stopping: not the job's failure
        const typed = hooks.asError(error);
        if (giveUp(core, options, state, key, typed)) {
          hooks.emit({ type: 'problem', jobId: stored.job.id, specifier: stored.specifier, error: typed, givenUp: true });
          unfinished.push(stored);
          givenUp.push(stored);
          continue;
        }
        hooks.emit({ type: 'problem', jobId: stored.job.id, specifier: stored.specifier, error: typed });
      }
    }
    // A job new to this watcher is announced if it has not ended; after that, each move of its status.
    const before = state.seen.get(key);
    const moved = now.job.status !== (before ?? stored.job.status);
    if (moved || (before === undefined && !isFinalTrainingStatus(stored.job.status))) {
      hooks.emit({ type: 'change', job: now, previous: moved ? (before ?? stored.job.status) : undefined });
    }
    state.seen.set(key, now.job.status);
    if (!isFinalTrainingStatus(now.job.status)) unfinished.push(now);
    else samplesOwed += await makeSamples(core, options, hooks, now);
  }
  return { unfinished, givenUp, samplesOwed };
}

/**
 * Whether the watcher stops following a job that could not be read: at once when the reason will
 * not pass by itself (the error is not retryable), else once it has failed every round for
 * `giveUpAfterMs` (never with `forever`). Records the decision in `state`.
 */
function giveUp(core: RegistryCore, options: WatchTrainingJobsOptions, state: WatchState, key: string, error: MediaConduitError): boolean {
  const now = core.options.now();
  const since = state.failingSince.get(key) ?? now;
  state.failingSince.set(key, since);
  const done = !error.retryable || (!options.forever && now - since >= (options.giveUpAfterMs ?? GIVE_UP_AFTER_MS));
  if (done) state.givenUp.add(key);
  return done;
}

/**
 * Makes the samples `job` still owes; returns how many it still owes after (failures to retry).
 * Attempts are recorded with the job, so a failure for a passing reason is tried again by the
 * next round of any watcher, at most {@link SAMPLE_ATTEMPTS} times in all.
 */
async function makeSamples(core: RegistryCore, options: WatchTrainingJobsOptions, hooks: RoundHooks, job: StoredTrainingJob): Promise<number> {
  const prompts = options.samplePrompts ?? [];
  if (prompts.length === 0 || job.job.status !== 'completed' || !job.job.outputModel || (job.job.outputCapability ?? 'text-to-image') !== 'text-to-image') return 0;
  const trigger = job.job.parameters.triggerWord ?? '';
  let owed = 0;
  let model: ImageModelV1 | undefined;
  for (const [index, template] of prompts.entries()) {
    const prompt = template.replaceAll('{trigger}', trigger);
    const previous = job.samples?.find((s) => s.prompt === prompt);
    if (previous && !previous.retryable) continue; // made, or given up
    if (hooks.signal.aborted) return owed + 1;
    const attempts = (previous?.attempts ?? 0) + 1;
    const createdAt = new Date(core.options.now()).toISOString();
    let sample: TrainingSample;
    try {
      model ??= (await (
        await recordedJobProvider(core, job, { ...(options.config ? { config: options.config } : {}), signal: hooks.signal })
      ).getModel(job.job.outputModel, { capability: 'text-to-image' })) as ImageModelV1;
      const image = await model.transform(prompt, { signal: hooks.signal });
      const path = await image.save(
        join(trainingStore(core).filesDir(job.specifier, job.job.id), `sample-${index + 1}.${image.mimeType === 'image/jpeg' ? 'jpg' : image.mimeType.slice(6)}`),
      );
      sample = { prompt, path, attempts, createdAt };
    } catch (error) {
      const typed = hooks.asError(error);
      hooks.emit({ type: 'problem', jobId: job.job.id, specifier: job.specifier, error: typed });
      const again = typed.retryable && attempts < SAMPLE_ATTEMPTS;
      if (again) owed++;
      sample = { prompt, error: typed.message, attempts, createdAt, ...(again ? { retryable: true } : {}) };
    }
    let recorded: StoredTrainingJob;
    try {
      recorded = await trainingStore(core).addSamples(job.specifier, job.job.id, [sample]);
    } catch (error) {
      // The record went (removed, or the disk failed): said, and the round goes on with the other jobs.
      hooks.emit({ type: 'problem', jobId: job.job.id, specifier: job.specifier, error: hooks.asError(error) });
      return owed;
    }
    if (!sample.retryable) hooks.emit({ type: 'sample', job: recorded, sample });
  }
  return owed;
}
