import { resolve } from 'node:path';
import { isFinalTrainingStatus, MediaConduitError, type TrainingJobInfoV1, type TrainingJobV1, type TrainingOptionsV1 } from '@mediaconduit/provider';
import type { TrainingWatchEvent } from '@mediaconduit/core';
import type { Context, RegistryFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatMs, shellWord, table } from '../io.js';

/** Flags of `train start`. */
export interface TrainStartFlags extends RegistryFlags {
  baseModel?: string;
  data: string[];
  triggerWord?: string;
  suffix?: string;
  epochs?: string;
  learningRate?: string;
  batchSize?: string;
  loraRank?: string;
  loraAlpha?: string;
  steps?: string;
  resolution?: string;
  style?: boolean;
  /** `--no-masks` sets it false; absent, the trainer's default. */
  masks?: boolean;
  trainer?: string;
  wait?: boolean;
  pollMs?: string;
}

/** Flags of `train watch`. */
export interface TrainWatchFlags extends RegistryFlags {
  spec?: string;
  samplePrompt?: string[];
  pollMs?: string;
  once?: boolean;
  forever?: boolean;
}

/** Flags of the commands that act on a recorded job. */
export interface TrainJobFlags extends RegistryFlags {
  spec?: string;
  pollMs?: string;
}

/** Flags of `train publish`. */
export interface TrainPublishFlags extends TrainJobFlags {
  /** The provider whose public storage takes weights that are not at a URL yet (fal). */
  to?: string;
  scale?: string;
}

/** A numeric flag's value; a usage error of `command` when it is not a positive (whole) number. */
const number = (flag: string, value: string | undefined, integer: boolean, command = 'train start'): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} "${value}" must be a positive ${integer ? 'whole number' : 'number'}`, command);
  }
  return n;
};

const progressText = (info: TrainingJobInfoV1): string => {
  const p = info.progress;
  const parts: string[] = [info.status];
  if (p?.percent !== undefined) parts.push(`${Math.round(p.percent)}%`);
  if (p?.step !== undefined) parts.push(`step ${p.step}${p.totalSteps ? `/${p.totalSteps}` : ''}`);
  if (p?.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.totalEpochs ? `/${p.totalEpochs}` : ''}`);
  if (p?.secondsRemaining !== undefined && !isFinalTrainingStatus(info.status)) parts.push(`~${Math.round(p.secondsRemaining)} s left`);
  return parts.join(' ');
};

function describe(ctx: Context, info: TrainingJobInfoV1): void {
  ctx.out.line(`job ${info.id} (${info.providerId}): ${progressText(info)}${info.providerStatus !== info.status ? ` [${info.providerStatus}]` : ''}`);
  ctx.out.line(`  base model ${info.baseModel}${info.outputModel ? `, output model ${info.outputModel}` : ''}`);
  const weights = info.artifacts?.find((a) => a.kind === 'weights');
  if (weights) {
    // Inline weights (the mock's data: URL) are described, not printed whole.
    ctx.out.line(
      /^https?:\/\//i.test(weights.url)
        ? `  weights ${weights.url}`
        : `  weights inline${weights.fileName ? ` (${weights.fileName}${weights.bytes !== undefined ? `, ${weights.bytes} bytes` : ''})` : ''}: mediaconduit train publish ${info.id} --to <provider with storage> gives them a URL`,
    );
  }
  if (info.error) ctx.out.line(`  error: ${info.error}`);
  if (info.costUsd !== undefined) ctx.out.line(`  cost ${info.costUsd} USD${isFinalTrainingStatus(info.status) ? '' : ' if it runs to its end'} (the provider's prices)`);
  for (const warning of info.warnings ?? []) ctx.out.line(`  warning: ${warning}`);
}

/** Follows a job until it ends, with live progress; resolves to its final state (rejects with TRAINING_FAILED). */
async function follow(ctx: Context, job: TrainingJobV1, pollIntervalMs: number | undefined): Promise<TrainingJobInfoV1> {
  const key = `train ${job.id}`;
  ctx.progress.start(key, `train ${job.id}: ${progressText(job.info)}`, { stage: job.info.status });
  try {
    const info = await job.wait({
      signal: ctx.signal,
      // Off a terminal, one line per change of status, not one per poll.
      // The final state gets its own line below (done or failed).
      onProgress: (now) => {
        if (!isFinalTrainingStatus(now.status)) ctx.progress.update(key, `train ${job.id}: ${progressText(now)}`, now.status);
      },
      ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
    });
    ctx.progress.done(key, `train ${job.id}: ${info.status}`);
    return info;
  } catch (error) {
    ctx.progress.fail(key, `train ${job.id}`); // the error line says why
    throw error;
  }
}

/** `mediaconduit train start <spec> --data <path…> [--base-model m] […]`. */
export async function trainStartCommand(ctx: Context, specifier: string, flags: TrainStartFlags): Promise<number> {
  // Every flag is read before anything loads or starts: a typo never leaves a job behind.
  const batch = flags.batchSize === 'max' ? 'max' : number('batch-size', flags.batchSize, true);
  const pollIntervalMs = number('poll-ms', flags.pollMs, true);
  const numbers: Pick<TrainingOptionsV1, 'epochs' | 'learningRate' | 'batchSize' | 'loraRank' | 'loraAlpha' | 'steps' | 'resolution'> = {
    ...(flags.epochs ? { epochs: number('epochs', flags.epochs, true)! } : {}),
    ...(flags.learningRate ? { learningRate: number('learning-rate', flags.learningRate, false)! } : {}),
    ...(batch !== undefined ? { batchSize: batch } : {}),
    ...(flags.loraRank ? { loraRank: number('lora-rank', flags.loraRank, true)! } : {}),
    ...(flags.loraAlpha ? { loraAlpha: number('lora-alpha', flags.loraAlpha, true)! } : {}),
    ...(flags.steps ? { steps: number('steps', flags.steps, true)! } : {}),
    ...(flags.resolution ? { resolution: number('resolution', flags.resolution, true)! } : {}),
  };
  const registry = await ctx.registry(flags);
  const provider = await ctx.loadProvider(registry, specifier, flags);
  if (typeof provider.createTrainingJob !== 'function') {
    throw new MediaConduitError({ code: 'UNSUPPORTED', message: `${provider.id} offers no training (its provider has no createTrainingJob)` });
  }
  const options: TrainingOptionsV1 = {
    data: flags.data.map((path) => resolve(ctx.io.cwd, path)),
    signal: ctx.signal,
    onWarning: (message) => ctx.progress.print(`warning: ${message}`),
    ...(flags.baseModel ? { baseModel: flags.baseModel } : {}),
    ...(flags.triggerWord ? { triggerWord: flags.triggerWord } : {}),
    ...(flags.suffix ? { suffix: flags.suffix } : {}),
    ...numbers,
    ...(flags.style ? { isStyle: true } : {}),
    ...(flags.masks === false ? { createMasks: false } : {}),
    ...(flags.trainer ? { trainer: flags.trainer } : {}),
  };
  ctx.progress.start('train-start', `train start on ${provider.id}: checking and uploading the data`);
  let job: TrainingJobV1;
  try {
    job = await provider.createTrainingJob(options);
  } catch (error) {
    ctx.progress.fail('train-start');
    throw error;
  }
  ctx.progress.done('train-start');
  ctx.progress.print(`started training job ${job.id} on ${provider.id}`);
  const info = flags.wait ? await follow(ctx, job, pollIntervalMs) : job.info;
  ctx.out.result(info);
  describe(ctx, info);
  // With the flags that say where the job is recorded and its provider pinned, so that the line works as it is.
  const where = `${flags.cacheDir ? ` --cache-dir ${shellWord(flags.cacheDir)}` : ''}${flags.lockfile === false ? ' --no-lockfile' : flags.lockfile ? ` --lockfile ${shellWord(flags.lockfile)}` : ''}`;
  if (!flags.wait) ctx.out.line(`follow it with: mediaconduit train wait ${job.id}${where}`);
  else if (info.outputModel) ctx.out.line(`use it with: mediaconduit run ${specifier} ${info.outputModel} "<prompt with ${info.parameters.triggerWord ?? 'the trigger word'}>"`);
  return EXIT.OK;
}

/** `mediaconduit train list [--spec s]`: the jobs this machine recorded, newest first (no network). */
export async function trainListCommand(ctx: Context, flags: TrainJobFlags): Promise<number> {
  const registry = await ctx.registry(flags);
  const jobs = await registry.trainingJobs(flags.spec ? { provider: ctx.spec(flags.spec) } : {});
  ctx.out.result(jobs);
  if (jobs.length === 0) {
    ctx.out.line(`no training jobs recorded in ${registry.options.trainingDir}`);
    return EXIT.OK;
  }
  const rows = [
    ['JOB', 'PROVIDER', 'STATUS', 'BASE MODEL', 'OUTPUT MODEL', 'UPDATED'],
    ...jobs.map((j) => [j.job.id, j.providerId, progressText(j.job), j.job.baseModel, j.job.outputModel ?? '-', j.job.updatedAt.slice(0, 19).replace('T', ' ')]),
  ];
  for (const line of table(rows)) ctx.out.line(line);
  return EXIT.OK;
}

async function resume(ctx: Context, id: string, flags: TrainJobFlags): Promise<TrainingJobV1> {
  const registry = await ctx.registry(flags);
  const config = ctx.config(flags);
  return registry.resumeTrainingJob(id, { signal: ctx.signal, ...(config ? { config } : {}), ...(flags.spec ? { specifier: ctx.spec(flags.spec) } : {}) });
}

/** `mediaconduit train status <id>`: the job's state now, and its last events. */
export async function trainStatusCommand(ctx: Context, id: string, flags: TrainJobFlags): Promise<number> {
  const job = await resume(ctx, id, flags);
  const info = await job.status({ signal: ctx.signal });
  const events = await job.events({ signal: ctx.signal }).catch(() => []);
  ctx.progress.stop();
  ctx.out.result({ ...info, events });
  describe(ctx, info);
  for (const event of events.slice(-5)) ctx.out.line(`  ${event.at.slice(0, 19).replace('T', ' ')} ${event.level} ${event.message}`);
  return EXIT.OK;
}

/** `mediaconduit train wait <id>`: follows the job until it ends; exits 1 (TRAINING_FAILED) when it fails or is cancelled. */
export async function trainWaitCommand(ctx: Context, id: string, flags: TrainJobFlags): Promise<number> {
  const pollIntervalMs = number('poll-ms', flags.pollMs, true, 'train wait');
  const job = await resume(ctx, id, flags);
  const started = performance.now();
  const info = await follow(ctx, job, pollIntervalMs);
  ctx.out.result(info);
  describe(ctx, info);
  ctx.out.line(`  waited ${formatMs(performance.now() - started)}`);
  return EXIT.OK;
}

/**
 * `mediaconduit train publish <id> [--to <spec>] [--scale n]`: a completed image LoRA as an adapter
 * that services taking LoRAs by URL apply (Together's FLUX, fal's flux-lora). Weights already at an
 * http(s) URL are printed as they are; inline or local ones are uploaded through the `--to`
 * provider's public storage (fal's) first.
 */
export async function trainPublishCommand(ctx: Context, id: string, flags: TrainPublishFlags): Promise<number> {
  const scale = number('scale', flags.scale, false, 'train publish');
  const job = await resume(ctx, id, flags);
  const info = await job.status({ signal: ctx.signal });
  const weights = info.artifacts?.find((a) => a.kind === 'weights');
  if (!flags.to && info.status === 'completed' && weights && !/^https?:\/\//i.test(weights.url)) {
    throw new UsageError(
      `the weights of ${info.id} are not at a URL yet (${weights.url.startsWith('data:') ? 'inline, as a data: URL' : 'named as a file'}): pass --to <spec of a provider with storage, such as fal's> to upload them where any service can fetch them`,
      'train publish',
    );
  }
  const { publishAdapter } = await import('@mediaconduit/core');
  const storage = flags.to ? await ctx.loadProvider(await ctx.registry(flags), flags.to, { ...flags, config: [] }) : undefined;
  const adapter = await publishAdapter(info, { signal: ctx.signal, ...(storage ? { storage } : {}), ...(scale !== undefined ? { scale } : {}) });
  ctx.progress.stop();
  ctx.out.result({ job: info.id, adapter });
  ctx.out.line(`${info.id}: weights at ${adapter.path}`);
  const word = info.parameters.triggerWord ?? 'the trigger word';
  ctx.out.line(`apply them with: mediaconduit run <spec> <FLUX model> "<prompt with ${word}>" --opt ${shellWord(`adapters=${JSON.stringify([adapter])}`)}`);
  return EXIT.OK;
}

/** `mediaconduit train cancel <id>`. */
export async function trainCancelCommand(ctx: Context, id: string, flags: TrainJobFlags): Promise<number> {
  const job = await resume(ctx, id, flags);
  const info = await job.cancel({ signal: ctx.signal });
  ctx.progress.stop();
  ctx.out.result(info);
  describe(ctx, info);
  return EXIT.OK;
}

/**
 * `mediaconduit train watch [--sample-prompt p…] [--once] [--forever]`: follows every unfinished
 * recorded job, one line per change of state and per sample made; exits when every job has ended
 * (0), or after one round with `--once`. A job that failed is a line, not an exit code: the watcher
 * watched it well. A job that cannot be read (no key, unknown to its service, or unreadable for
 * 30 minutes) is given up on, and makes the exit code 1. Ctrl-C ends it with 130, as any command.
 */
export async function trainWatchCommand(ctx: Context, flags: TrainWatchFlags): Promise<number> {
  if (flags.once && flags.forever) throw new UsageError('--once and --forever do not go together', 'train watch');
  const pollIntervalMs = number('poll-ms', flags.pollMs, true, 'train watch');
  const registry = await ctx.registry(flags);
  const config = ctx.config(flags);
  // The jobs this run gave up on (they cannot be read): they make the exit code 1.
  const givenUp = new Map<string, string>();
  const options = {
    signal: ctx.signal,
    ...(flags.spec ? { provider: ctx.spec(flags.spec) } : {}),
    ...(flags.samplePrompt?.length ? { samplePrompts: flags.samplePrompt } : {}),
    ...(config ? { config } : {}),
    onEvent: (event: TrainingWatchEvent) => {
      if (event.type === 'change') {
        const { job } = event;
        ctx.out.line(`${job.job.id} (${job.providerId}): ${event.previous ? `${event.previous} → ` : ''}${progressText(job.job)}`);
        if (job.job.error) ctx.out.line(`  error: ${job.job.error}`);
        if (job.job.outputModel && job.job.status === 'completed') ctx.out.line(`  output model ${job.job.outputModel}`);
      } else if (event.type === 'sample') {
        ctx.out.line(`${event.job.job.id}: sample "${event.sample.prompt}" ${event.sample.path ? `saved to ${event.sample.path}` : `failed: ${event.sample.error}`}`);
      } else if (event.type === 'problem' && event.givenUp) {
        givenUp.set(event.jobId, event.error.message);
        ctx.out.line(`${event.jobId}: no longer followed: ${event.error.message}`);
      } else if (event.type === 'problem') {
        ctx.progress.print(`warning: ${event.jobId ? `${event.jobId}: ` : ''}${event.error.message}`);
      }
    },
  };
  const gaveUp = (): number => {
    if (givenUp.size === 0) return EXIT.OK;
    ctx.progress.print(
      `error: ${givenUp.size} job(s) could not be followed (${[...givenUp.keys()].join(', ')}); fix what their lines above name and run \`mediaconduit train watch\` again, or stop one with \`mediaconduit train cancel <id>\``,
    );
    return EXIT.FAILED;
  };
  // Ctrl-C ends the watch as it ends every command: exit 130, after naming the jobs given up on.
  const interrupted = () => {
    if (!ctx.signal.aborted) return;
    gaveUp();
    throw new MediaConduitError({ code: 'ABORTED', message: 'train watch: interrupted' });
  };
  if (flags.once) {
    const round = await registry.checkTrainingJobs(options);
    interrupted();
    ctx.out.result(round);
    ctx.out.line(`${round.unfinished.length} job(s) not ended${round.samplesOwed ? `, ${round.samplesOwed} sample(s) to make again` : ''}`);
    return gaveUp();
  }
  const watcher = registry.watchTrainingJobs({
    ...options,
    ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
    ...(flags.forever ? { forever: true } : {}),
  });
  await watcher.done;
  interrupted();
  const jobs = await registry.trainingJobs(flags.spec ? { provider: ctx.spec(flags.spec) } : {});
  ctx.out.result(jobs);
  if (givenUp.size === 0) ctx.out.line(`every recorded job has ended (${jobs.length} in ${registry.options.trainingDir})`);
  return gaveUp();
}
