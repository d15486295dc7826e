import type { MediaConduitError, TrainingStatusV1 } from '@mediaconduit/provider';
import type { StoredTrainingJob, TrainingSample } from '../training/training-store.js';

// The shapes a training watcher (training-watch.ts) and its rounds (training-round.ts, loaded on
// first use) share.

/** Options of `registry.watchTrainingJobs()` and `registry.checkTrainingJobs()`. */
export interface WatchTrainingJobsOptions {
  /** Only jobs of this provider (its id or specifier). Default: every recorded job. */
  provider?: string;
  /**
   * Prompts to make sample images with, for each completed image LoRA: saved beside the job's
   * record and listed in it (`samples`), made once per prompt. `{trigger}` in a prompt is replaced
   * by the job's trigger word; a prompt is otherwise sent as it is.
   */
  samplePrompts?: readonly string[];
  /** Provider settings over the recorded ones (secrets are never recorded: pass keys here, or in the environment). */
  config?: Readonly<Record<string, unknown>>;
  /** Stops the watcher (it resolves `done`; jobs go on). */
  signal?: AbortSignal;
  /** Time between rounds of `watchTrainingJobs`. Default 10 000 ms. */
  pollIntervalMs?: number;
  /** Keep watching for new jobs once every recorded one has ended. Default false: `done` resolves then. */
  forever?: boolean;
  /** Called with every event (as well as the watcher's own events: `change`, `sample`, `problem`, `idle`, and `event` for all). */
  onEvent?: (event: TrainingWatchEvent) => void;
}

/** What a round of watching saw. */
export type TrainingWatchEvent =
  /** A job's recorded state moved on (`previous`: its status before, as recorded; undefined for a job first seen by this watcher as new). */
  | { type: 'change'; job: StoredTrainingJob; previous: TrainingStatusV1 | undefined }
  /** A sample image was made (or failed for good) for a completed job. */
  | { type: 'sample'; job: StoredTrainingJob; sample: TrainingSample }
  /** Reading a job, or making a sample, failed; the next round tries again (a sample: at most 3 attempts in all, counted in the store). */
  | { type: 'problem'; jobId: string; specifier: string; error: MediaConduitError }
  /** Every recorded job has ended (and has its samples). */
  | { type: 'idle' };

/** What one round found: the jobs that have not ended, and whether samples are still owed. */
export interface TrainingRound {
  unfinished: StoredTrainingJob[];
  samplesOwed: number;
}

/** What a watcher remembers between rounds (beyond the store): the statuses it saw. */
export interface WatchState {
  /** By `specifier \0 job id`: the status this watcher last saw. */
  seen: Map<string, TrainingStatusV1>;
}

/** What a round may do to its watcher. */
export interface RoundHooks {
  signal: AbortSignal;
  emit(event: TrainingWatchEvent): void;
  asError(error: unknown): MediaConduitError;
}
