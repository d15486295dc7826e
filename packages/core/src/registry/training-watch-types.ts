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
  /**
   * How long a job may go unread for reasons that may pass (a time limit, a rate limit, the
   * service or the network down) before this watcher stops following it. Default 30 minutes; a
   * watcher with `forever` keeps trying. A job that cannot be read for a reason that will not pass
   * by itself (no key, a job its service does not know, a provider that offers no training) is
   * given up at once. Either way the job stays recorded as it was: the next watcher tries again.
   */
  giveUpAfterMs?: number;
  /** Called with every event (as well as the watcher's own events: `change`, `sample`, `problem`, `idle`, and `event` for all). */
  onEvent?: (event: TrainingWatchEvent) => void;
}

/** What a round of watching saw. */
export type TrainingWatchEvent =
  /** A job's recorded state moved on (`previous`: its status before, as recorded; undefined for a job first seen by this watcher as new). */
  | { type: 'change'; job: StoredTrainingJob; previous: TrainingStatusV1 | undefined }
  /** A sample image was made (or failed for good) for a completed job. */
  | { type: 'sample'; job: StoredTrainingJob; sample: TrainingSample }
  /**
   * Reading a job, or making a sample, failed; the next round tries again (a sample: at most 3
   * attempts in all, counted in the store). `givenUp`: this watcher no longer follows the job
   * (see `giveUpAfterMs`).
   */
  | { type: 'problem'; jobId: string; specifier: string; error: MediaConduitError; givenUp?: true }
  /** Every recorded job has ended (and has its samples), or is one this watcher gave up on. */
  | { type: 'idle' };

/** What one round found: the jobs that have not ended, and whether samples are still owed. */
export interface TrainingRound {
  unfinished: StoredTrainingJob[];
  /** The unfinished jobs this watcher no longer follows, because they could not be read (see `giveUpAfterMs`). */
  givenUp: StoredTrainingJob[];
  samplesOwed: number;
}

/** What a watcher remembers between rounds (beyond the store); keys are `specifier \0 job id`. */
export interface WatchState {
  /** The status this watcher last saw. */
  seen: Map<string, TrainingStatusV1>;
  /** Since when (the registry's clock, ms) a job has failed to be read, every round. */
  failingSince: Map<string, number>;
  /** The jobs this watcher no longer follows. */
  givenUp: Set<string>;
}

/** What a round may do to its watcher. */
export interface RoundHooks {
  signal: AbortSignal;
  emit(event: TrainingWatchEvent): void;
  asError(error: unknown): MediaConduitError;
}
