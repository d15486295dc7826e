import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { type ImageModelV1, isFinalTrainingStatus, MediaConduitError, type TrainingStatusV1 } from '@mediaconduit/provider';
import type { StoredTrainingJob, TrainingSample } from '../training/training-store.js';
import { mcError } from '../util/errors.js';
import type { RegistryCore } from './registry-core.js';
import { resumeTrainingJob, trainingJobs } from './training-jobs.js';

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
  /** Reading a job, or making a sample, failed; the next round tries again (a failed sample at most 3 times). */
  | { type: 'problem'; jobId: string; specifier: string; error: MediaConduitError }
  /** Every recorded job has ended (and has its samples). */
  | { type: 'idle' };

/** What one round found: the jobs that have not ended, and whether samples are still owed. */
export interface TrainingRound {
  unfinished: StoredTrainingJob[];
  samplesOwed: number;
}

const SAMPLE_ATTEMPTS = 3;

/**
 * Follows every unfinished training job in the registry's store: each round reads each job once
 * from its provider (which records the new state), emits a `change` for each new status, and
 * makes the samples a completed LoRA still owes. Everything it knows is in the store, so a watcher
 * started again (another process, after a crash) goes on where the last one stopped.
 */
export class TrainingJobWatcher extends EventEmitter {
  /** Resolves when the watcher stops: every job ended (unless `forever`), `stop()`, or the signal. */
  readonly done: Promise<void>;
  private readonly seen = new Map<string, TrainingStatusV1>();
  private readonly sampleFailures = new Map<string, number>();
  private readonly controller = new AbortController();

  constructor(
    private readonly core: RegistryCore,
    private readonly options: WatchTrainingJobsOptions,
    loop: boolean,
  ) {
    super();
    const interval = options.pollIntervalMs ?? 10_000;
    if (!(Number.isFinite(interval) && interval >= 0)) throw mcError('INVALID_OPTIONS', `watchTrainingJobs: pollIntervalMs must be a number of at least 0, got ${interval}`);
    const prompts = options.samplePrompts ?? [];
    if (!Array.isArray(prompts) || prompts.some((p) => typeof p !== 'string' || p.trim() === '')) {
      throw mcError('INVALID_OPTIONS', 'watchTrainingJobs: samplePrompts must be a list of prompts (non-empty strings)');
    }
    if (options.onEvent) this.on('event', options.onEvent);
    if (options.signal?.aborted) this.controller.abort();
    else options.signal?.addEventListener('abort', () => this.controller.abort(), { once: true });
    this.done = loop ? this.run(interval) : Promise.resolve();
  }

  /** Stops watching after the current round; resolves when it has stopped. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.done;
  }

  private async run(interval: number): Promise<void> {
    // Every failure of a round is reported as a `problem` event: the loop itself never throws.
    await Promise.resolve();
    while (!this.controller.signal.aborted) {
      const round = await this.round().catch((error: unknown) => {
        this.emitEvent({ type: 'problem', jobId: '', specifier: '', error: this.asError(error) });
        return undefined;
      });
      if (round && round.unfinished.length === 0 && round.samplesOwed === 0) {
        this.emitEvent({ type: 'idle' });
        if (!this.options.forever) return;
      }
      await sleep(interval, this.controller.signal);
    }
  }

  /** One round: reads every unfinished job once, and makes the samples owed. */
  async round(): Promise<TrainingRound> {
    const recorded = await trainingJobs(this.core, this.options.provider === undefined ? {} : { provider: this.options.provider });
    const unfinished: StoredTrainingJob[] = [];
    let samplesOwed = 0;
    for (const stored of recorded) {
      if (this.controller.signal.aborted) break;
      const key = `${stored.specifier}\0${stored.job.id}`;
      let now = stored;
      if (!isFinalTrainingStatus(stored.job.status)) {
        try {
          await resumeTrainingJob(this.core, stored.job.id, { specifier: stored.specifier, signal: this.controller.signal, ...this.configOption() });
          now = (await trainingJobs(this.core)).find((j) => j.specifier === stored.specifier && j.job.id === stored.job.id) ?? stored;
        } catch (error) {
          this.emitEvent({ type: 'problem', jobId: stored.job.id, specifier: stored.specifier, error: this.asError(error) });
        }
      }
      // A job new to this watcher is announced if it has not ended; after that, each move of its status.
      const before = this.seen.get(key);
      const moved = now.job.status !== (before ?? stored.job.status);
      if (moved || (before === undefined && !isFinalTrainingStatus(stored.job.status))) {
        this.emitEvent({ type: 'change', job: now, previous: moved ? (before ?? stored.job.status) : undefined });
      }
      this.seen.set(key, now.job.status);
      if (!isFinalTrainingStatus(now.job.status)) unfinished.push(now);
      else samplesOwed += await this.makeSamples(now);
    }
    return { unfinished, samplesOwed };
  }

  /** Makes the samples `job` still owes; returns how many it still owes after (failures to retry). */
  private async makeSamples(job: StoredTrainingJob): Promise<number> {
    const prompts = this.options.samplePrompts ?? [];
    if (prompts.length === 0 || job.job.status !== 'completed' || !job.job.outputModel || (job.job.outputCapability ?? 'text-to-image') !== 'text-to-image') return 0;
    const trigger = job.job.parameters.triggerWord ?? '';
    let owed = 0;
    let model: ImageModelV1 | undefined;
    for (const [index, template] of prompts.entries()) {
      const prompt = template.replaceAll('{trigger}', trigger);
      if (job.samples?.some((s) => s.prompt === prompt)) continue;
      const key = `${job.specifier}\0${job.job.id}\0${prompt}`;
      if ((this.sampleFailures.get(key) ?? 0) >= SAMPLE_ATTEMPTS) continue;
      if (this.controller.signal.aborted) return owed + 1;
      let sample: TrainingSample;
      try {
        model ??= (await (
          await this.core.getProvider(job.specifier, { config: { ...job.config, ...this.options.config }, signal: this.controller.signal })
        ).getModel(job.job.outputModel, { capability: 'text-to-image' })) as ImageModelV1;
        const image = await model.transform(prompt, { signal: this.controller.signal });
        const path = await image.save(
          join(this.core.training.filesDir(job.specifier, job.job.id), `sample-${index + 1}.${image.mimeType === 'image/jpeg' ? 'jpg' : image.mimeType.slice(6)}`),
        );
        sample = { prompt, path, createdAt: new Date(this.core.options.now()).toISOString() };
      } catch (error) {
        const typed = this.asError(error);
        this.emitEvent({ type: 'problem', jobId: job.job.id, specifier: job.specifier, error: typed });
        const failures = (this.sampleFailures.get(key) ?? 0) + 1;
        this.sampleFailures.set(key, failures);
        if (typed.retryable && failures < SAMPLE_ATTEMPTS) {
          owed++;
          continue;
        }
        sample = { prompt, error: typed.message, createdAt: new Date(this.core.options.now()).toISOString() };
      }
      const recorded = await this.core.training.addSamples(job.specifier, job.job.id, [sample]);
      this.emitEvent({ type: 'sample', job: recorded, sample });
    }
    return owed;
  }

  /** `error`, typed, with every known secret redacted (listeners may log it). */
  private asError(error: unknown): MediaConduitError {
    return this.core.secrets.redactError(typed(error));
  }

  private configOption(): { config?: Readonly<Record<string, unknown>> } {
    return this.options.config ? { config: this.options.config } : {};
  }

  private emitEvent(event: TrainingWatchEvent): void {
    try {
      this.emit(event.type, event);
      this.emit('event', event);
    } catch (error) {
      this.core.options.logger.warn('watchTrainingJobs: a listener threw', { error: String(error) });
    }
  }
}

function typed(error: unknown): MediaConduitError {
  return MediaConduitError.isInstance(error) ? error : mcError('PROVIDER_ERROR', String((error as Error)?.message ?? error), { cause: error });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
