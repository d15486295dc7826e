import { EventEmitter } from 'node:events';
import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import type { RegistryCore } from './registry-core.js';
import type { TrainingRound, TrainingWatchEvent, WatchState, WatchTrainingJobsOptions } from './training-watch-types.js';

export type { TrainingRound, TrainingWatchEvent, WatchTrainingJobsOptions } from './training-watch-types.js';

/**
 * Follows every unfinished training job in the registry's store: each round reads each job once
 * from its provider (which records the new state), emits a `change` for each new status, and
 * makes the samples a completed LoRA still owes. Everything it knows is in the store, so a watcher
 * started again (another process, after a crash) goes on where the last one stopped. A job it
 * cannot read is tried again each round, and given up on (by this watcher only) when the reason
 * will not pass by itself, or has not passed for `giveUpAfterMs`.
 */
export class TrainingJobWatcher extends EventEmitter {
  /**
   * Resolves when the watcher stops: every job ended or given up on (unless `forever`), `stop()`,
   * its signal, or `registry.close()`.
   */
  readonly done: Promise<void>;
  private readonly state: WatchState = { seen: new Map(), failingSince: new Map(), givenUp: new Set() };
  private readonly controller = new AbortController();

  constructor(
    private readonly core: RegistryCore,
    private readonly options: WatchTrainingJobsOptions,
    loop: boolean,
  ) {
    super();
    const interval = options.pollIntervalMs ?? 10_000;
    if (!(Number.isFinite(interval) && interval >= 0)) throw mcError('INVALID_OPTIONS', `watchTrainingJobs: pollIntervalMs must be a number of at least 0, got ${interval}`);
    const giveUpAfter = options.giveUpAfterMs;
    if (giveUpAfter !== undefined && !(typeof giveUpAfter === 'number' && giveUpAfter >= 0 && !Number.isNaN(giveUpAfter))) {
      throw mcError('INVALID_OPTIONS', `watchTrainingJobs: giveUpAfterMs must be a number of at least 0 (Infinity: never), got ${String(giveUpAfter)}`);
    }
    const prompts = options.samplePrompts ?? [];
    if (!Array.isArray(prompts) || prompts.some((p) => typeof p !== 'string' || p.trim() === '')) {
      throw mcError('INVALID_OPTIONS', 'watchTrainingJobs: samplePrompts must be a list of prompts (non-empty strings)');
    }
    if (options.onEvent) this.on('event', options.onEvent);
    // It stops with its signal, and when the registry closes.
    for (const signal of [options.signal, core.env.signal]) {
      if (signal?.aborted) this.controller.abort();
      else signal?.addEventListener('abort', () => this.controller.abort(), { once: true });
    }
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
    let idle = false;
    while (!this.controller.signal.aborted) {
      const round = await this.round().catch((error: unknown) => {
        this.emitEvent({ type: 'problem', jobId: '', specifier: '', error: this.asError(error) });
        return undefined;
      });
      // (Jobs it gave up on count as left to it no more: they were each reported as a `problem` with `givenUp`.)
      const nothingLeft = round !== undefined && round.unfinished.length === round.givenUp.length && round.samplesOwed === 0;
      // `idle` once each time the last job ends (a watcher that goes on for ever says it again after new jobs).
      if (nothingLeft && !idle) this.emitEvent({ type: 'idle' });
      idle = nothingLeft;
      if (nothingLeft && !this.options.forever) return;
      await sleep(interval, this.controller.signal);
    }
  }

  /** One round: reads every unfinished job once, and makes the samples owed. */
  async round(): Promise<TrainingRound> {
    const { trainingRound } = await import('./training-side.js');
    return trainingRound(this.core, this.options, this.state, {
      signal: this.controller.signal,
      emit: (event) => this.emitEvent(event),
      asError: (error) => this.asError(error),
    });
  }

  /** `error`, typed, with every known secret redacted (listeners may log it). */
  private asError(error: unknown): MediaConduitError {
    return this.core.secrets.redactError(typed(error));
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
