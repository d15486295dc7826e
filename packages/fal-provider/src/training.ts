import {
  type CallOptionsV1,
  type CheckedTrainingFile,
  checkTrainingData,
  type HttpResponseV1,
  MediaConduitError,
  refuseTrainingOptions,
  type TrainingArtifactV1,
  type TrainingCheckpointV1,
  type TrainingEventV1,
  type TrainingJobInfoV1,
  type TrainingJobV1,
  type TrainingOptionField,
  type TrainingOptionsV1,
  trainingJobHandle,
} from '@mediaconduit/provider';
import { zipSync } from 'fflate';
import { type FalClient, falError, MAX_UPLOAD_BYTES } from './fal-client.js';
import { LORA_ENDPOINT } from './image-model.js';
import { readPrices } from './model-catalog.js';

/** A fal trainer: its endpoint's fields, as the contract's options name them. */
interface Trainer {
  /** The contract's options it takes (besides the data). */
  takes: readonly TrainingOptionField[];
  /** Its input field for the trigger word. */
  triggerField: 'trigger_word' | 'trigger_phrase';
  /** Steps when none are given (sent, so the job records what it ran with). */
  defaultSteps: number;
  /** Fewer images than this is a warning. */
  recommendedImages: number;
}

/**
 * fal's FLUX LoRA trainers. Both train LoRAs of FLUX.1 [dev], served on `fal-ai/flux-lora`.
 * Default steps: fal's examples use 1000 for the fast trainer (its schema declares none); the
 * portrait trainer's schema says 2500.
 */
export const FAL_TRAINERS: Readonly<Record<string, Trainer>> = {
  'fal-ai/flux-lora-fast-training': {
    takes: ['baseModel', 'trainer', 'triggerWord', 'steps', 'isStyle', 'createMasks'],
    triggerField: 'trigger_word',
    defaultSteps: 1000,
    recommendedImages: 5,
  },
  'fal-ai/flux-lora-portrait-trainer': {
    takes: ['baseModel', 'trainer', 'triggerWord', 'steps', 'learningRate', 'createMasks'],
    triggerField: 'trigger_phrase',
    defaultSteps: 2500,
    recommendedImages: 10,
  },
};

export const DEFAULT_TRAINER = 'fal-ai/flux-lora-fast-training';
/** The base model both trainers train LoRAs of; `fal-ai/flux-lora` (which serves them) names it too. */
const BASE_MODEL = 'fal-ai/flux/dev';
const BASE_ALIASES = new Set([BASE_MODEL, LORA_ENDPOINT]);
const LABEL = 'fal training';

/** What to do instead of a parameter fal's trainers do not have. */
const INSTEAD: Partial<Record<TrainingOptionField, string>> = {
  epochs: 'fal trains in steps: pass steps (about 1000 for a subject on the fast trainer)',
  batchSize: 'fal chooses the batch itself',
  resolution: 'fal sizes the images itself (the portrait trainer trains at several resolutions)',
  loraRank: 'fal chooses the rank itself',
  loraAlpha: 'fal chooses the alpha itself',
  suffix: 'fal names no models: the trained model is fal-ai/flux-lora:<weights URL>',
  learningRate: 'only fal-ai/flux-lora-portrait-trainer takes a learning rate (pass trainer: "fal-ai/flux-lora-portrait-trainer")',
  isStyle: 'only fal-ai/flux-lora-fast-training trains styles',
};

/** A job id: `<trainer endpoint>:<fal request id>`, everything a new process needs to follow it. */
const JOB_ID = /^(fal-ai\/[a-z0-9-]+):([A-Za-z0-9-]{8,64})$/;

interface QueueStatus {
  status?: unknown;
  queue_position?: unknown;
  logs?: { message?: unknown; level?: unknown; timestamp?: unknown }[] | null;
  error?: unknown;
  error_type?: unknown;
}

interface FalFile {
  url?: unknown;
  content_type?: unknown;
  file_name?: unknown;
  file_size?: unknown;
}

/** What this process knows of a job beyond what fal's status says. */
interface Known {
  createdAt: string;
  parameters: TrainingJobInfoV1['parameters'];
  files: string[];
  warnings: string[];
  /** The run's price (steps × fal's price per step), when fal prices the trainer by the step. */
  costUsd?: number;
  /** The state last read (what `listTrainingJobs` answers). */
  last?: TrainingJobInfoV1;
  /** The outcome once read: fal keeps results about an hour, so it is read once and kept. */
  outcome?: Pick<TrainingJobInfoV1, 'status' | 'providerStatus' | 'outputModel' | 'artifacts' | 'error' | 'progress'> & { updatedAt?: string };
}

/** FLUX LoRA training on fal: checked pictures zipped (fflate) and uploaded to fal's storage, a queued job, its logs as events. */
export class FalTraining {
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly client: FalClient,
    private readonly now: () => number,
    private readonly pollIntervalMs = 5000,
  ) {}

  async create(options: TrainingOptionsV1): Promise<TrainingJobV1> {
    if (typeof options !== 'object' || options === null) throw invalid('createTrainingJob needs options: { data, triggerWord?, trainer?, steps?, … }');
    const trainerId = options.trainer ?? DEFAULT_TRAINER;
    const trainer = FAL_TRAINERS[trainerId];
    if (!trainer) throw invalid(`trainer "${String(trainerId)}" is not one of fal's FLUX LoRA trainers: ${Object.keys(FAL_TRAINERS).join(', ')}`);
    refuseTrainingOptions(options, trainer.takes, { label: LABEL, trainer: trainerId, why: INSTEAD });
    const baseModel = options.baseModel ?? BASE_MODEL;
    if (!BASE_ALIASES.has(baseModel)) {
      throw invalid(`baseModel "${baseModel}" cannot be trained: fal's trainers train LoRAs of FLUX.1 [dev] ("${BASE_MODEL}"), served on ${LORA_ENDPOINT}`);
    }
    const triggerWord = options.triggerWord;
    if (triggerWord !== undefined && (typeof triggerWord !== 'string' || !/^[\p{L}\p{N}_][\p{L}\p{N}_ -]{0,63}$/u.test(triggerWord))) {
      throw invalid(`triggerWord must be 1 to 64 letters, digits, "_", "-" or spaces (a word to put in prompts, e.g. "sks"), got ${JSON.stringify(triggerWord)}`);
    }
    const steps = options.steps ?? trainer.defaultSteps;
    if (!Number.isInteger(steps) || steps < 1 || steps > 10_000) throw invalid(`steps must be a whole number from 1 to 10000, got ${JSON.stringify(steps)}`);
    const learningRate = options.learningRate;
    if (learningRate !== undefined && (typeof learningRate !== 'number' || !(learningRate > 0 && learningRate < 1))) {
      throw invalid(`learningRate must be a number between 0 and 1, got ${JSON.stringify(learningRate)}`);
    }
    for (const flag of ['isStyle', 'createMasks'] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== 'boolean') throw invalid(`${flag} must be true or false, got ${JSON.stringify(options[flag])}`);
    }
    // No key: nothing is checked, zipped or uploaded.
    this.client.requireKey();
    const data = await checkTrainingData(options.data, {
      label: LABEL,
      accept: ['images'],
      captions: true,
      limits: { recommendedImages: trainer.recommendedImages },
      unsupported: () => "fal's trainers train FLUX image LoRAs from pictures (PNG, JPEG, WebP), not language models from JSONL; train on JSONL with the Together provider",
    });
    const bytes = data.files.reduce((sum, f) => sum + f.bytes + Buffer.byteLength(f.caption ?? ''), 0);
    if (bytes > MAX_UPLOAD_BYTES) {
      throw invalid(
        `the pictures come to ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${MAX_UPLOAD_BYTES / 2 ** 20} MiB of one upload to fal's storage (this provider makes no multipart uploads): train on fewer or smaller pictures (1024 px a side is plenty); nothing was uploaded`,
      );
    }
    for (const warning of data.warnings) options.onWarning?.(warning);

    // The trainer's price is read while the pictures upload (it never fails the job: see pricePerStep).
    const pricing = this.pricePerStep(trainerId, options.signal);
    const archive = zipArchive(data.files);
    const imagesUrl = await this.client.upload(archive, { name: 'training-images.zip', contentType: 'application/zip' }, LABEL, options.signal);
    const isStyle = trainerId === DEFAULT_TRAINER ? (options.isStyle ?? false) : undefined;
    const createMasks = options.createMasks ?? trainerId === DEFAULT_TRAINER;
    const input: Record<string, unknown> = {
      images_data_url: imagesUrl,
      steps,
      create_masks: createMasks,
      ...(triggerWord === undefined ? {} : { [trainer.triggerField]: triggerWord }),
      ...(isStyle === undefined ? {} : { is_style: isStyle }),
      ...(learningRate === undefined ? {} : { learning_rate: learningRate }),
    };
    const { body } = await this.client.json<{ request_id?: unknown; queue_position?: unknown }>('queue', {
      method: 'POST',
      path: `/${trainerId}`,
      json: input,
      signal: options.signal,
      headers: options.headers,
      operation: `${LABEL}: submit to ${trainerId}`,
    });
    if (typeof body.request_id !== 'string' || !/^[A-Za-z0-9-]{8,64}$/.test(body.request_id)) {
      throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${LABEL}: fal accepted the job but its answer has no request_id` });
    }
    const id = `${trainerId}:${body.request_id}`;
    const createdAt = new Date(this.now()).toISOString();
    const perStep = await pricing;
    this.known.set(id, {
      createdAt,
      ...(perStep === undefined ? {} : { costUsd: Math.round(steps * perStep * 1e6) / 1e6 }),
      parameters: {
        steps,
        createMasks,
        trainer: trainerId,
        ...(triggerWord === undefined ? {} : { triggerWord }),
        ...(isStyle === undefined ? {} : { isStyle }),
        ...(learningRate === undefined ? {} : { learningRate }),
      },
      files: data.files.map((f) => f.name),
      warnings: data.warnings,
    });
    const position = typeof body.queue_position === 'number' ? body.queue_position : undefined;
    return this.handle(this.info(id, { status: 'queued', providerStatus: 'IN_QUEUE', ...(position === undefined ? {} : { progress: { queuePosition: position } }) }));
  }

  async get(id: string, options?: CallOptionsV1): Promise<TrainingJobV1> {
    return this.handle(await this.read(id, options));
  }

  /** fal lists no queue requests: the jobs this process started or read, as last read, newest first. */
  async list(): Promise<TrainingJobInfoV1[]> {
    return [...this.known.values()].flatMap((known) => (known.last ? [known.last] : [])).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private handle(initial: TrainingJobInfoV1): TrainingJobV1 {
    const id = initial.id;
    return trainingJobHandle({
      initial,
      read: (options) => this.read(id, options),
      events: (options) => this.events(id, options),
      checkpoints: async (options) => {
        const info = await this.read(id, options);
        const weights = info.artifacts?.find((a) => a.kind === 'weights');
        return weights ? [{ step: info.parameters.steps ?? 0, createdAt: info.updatedAt, path: weights.url, type: 'final' } satisfies TrainingCheckpointV1] : [];
      },
      cancel: (options) => this.cancel(id, options),
      pollIntervalMs: this.pollIntervalMs,
      label: `${LABEL} ${id}`,
    });
  }

  /** The job's state: fal's queue status, and its result once it completed (read once, and kept). */
  private async read(id: string, options?: CallOptionsV1): Promise<TrainingJobInfoV1> {
    const { trainer, requestId, app } = parseId(id);
    const known = this.known.get(id);
    if (known?.outcome) return this.info(id, known.outcome);
    const status = await this.status(id, app, requestId, true, options);
    if (!this.known.has(id)) this.known.set(id, { createdAt: new Date(this.now()).toISOString(), parameters: { trainer }, files: [], warnings: [] });
    const logs = logLines(status);
    if (status.status === 'IN_QUEUE') {
      const position = typeof status.queue_position === 'number' ? status.queue_position : undefined;
      return this.info(id, { status: 'queued', providerStatus: 'IN_QUEUE', ...(position === undefined ? {} : { progress: { queuePosition: position } }) });
    }
    if (status.status === 'IN_PROGRESS') return this.info(id, { status: 'running', providerStatus: 'IN_PROGRESS', progress: progressOf(logs) });
    if (status.status !== 'COMPLETED') {
      throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${LABEL} ${id}: fal answered with an unknown status ${JSON.stringify(status.status)}` });
    }
    const ended = await this.outcome(id, app, requestId, status, options);
    const outcome = {
      ...ended,
      updatedAt: new Date(this.now()).toISOString(),
      progress: { ...progressOf(logs), ...(ended.status === 'completed' ? { percent: 100 } : {}) },
    };
    this.known.get(id)!.outcome = outcome;
    return this.info(id, outcome);
  }

  /**
   * How a COMPLETED request ended: cancelled (`client_cancelled`, or a 499 result), failed (an
   * error on the status, or a result that is an error), or completed with its files. A result fal
   * no longer holds (it keeps them about an hour) is a failed job that says so.
   */
  private async outcome(id: string, app: string, requestId: string, status: QueueStatus, options?: CallOptionsV1): Promise<NonNullable<Known['outcome']>> {
    if (status.error_type === 'client_cancelled') return { status: 'cancelled', providerStatus: 'COMPLETED' };
    if (typeof status.error === 'string' && status.error !== '') {
      return { status: 'failed', providerStatus: 'COMPLETED', error: `${status.error}${typeof status.error_type === 'string' ? ` (${status.error_type})` : ''}` };
    }
    const operation = `${LABEL} ${id}: result`;
    const response = await this.client.raw('queue', { method: 'GET', path: `/${app}/requests/${requestId}`, signal: options?.signal, headers: options?.headers, operation });
    if (response.status === 499) {
      await drain(response);
      return { status: 'cancelled', providerStatus: 'COMPLETED' };
    }
    if (response.status === 404 || response.status === 410) {
      await drain(response);
      return {
        status: 'failed',
        providerStatus: 'COMPLETED',
        error:
          'the job completed, but fal no longer holds its result (fal keeps results for about an hour after a job ends). ' +
          'Follow jobs while they run (job.wait(), registry.watchTrainingJobs() or mediaconduit train watch): the registry records the weights URL the moment a job completes',
      };
    }
    if (response.status < 200 || response.status >= 300) {
      const error = await falError(operation, response);
      // fal's side failing, or limiting: the next read tries again. Any other answer is how the job ended.
      if (error.retryable) throw error;
      return { status: 'failed', providerStatus: 'COMPLETED', error: error.message };
    }
    let output: { diffusers_lora_file?: FalFile; config_file?: FalFile };
    try {
      output = (await response.body.json()) as typeof output;
    } catch (error) {
      throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${operation}: the answer is not JSON`, cause: error });
    }
    const artifacts = [artifact('weights', output?.diffusers_lora_file), artifact('config', output?.config_file)].filter((a): a is TrainingArtifactV1 => a !== undefined);
    const weights = artifacts.find((a) => a.kind === 'weights');
    if (!weights) throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${operation}: the result has no diffusers_lora_file URL` });
    return { status: 'completed', providerStatus: 'COMPLETED', outputModel: `${LORA_ENDPOINT}:${weights.url}`, artifacts };
  }

  private async status(id: string, app: string, requestId: string, logs: boolean, options?: CallOptionsV1): Promise<QueueStatus> {
    const operation = `${LABEL} ${id}: status`;
    const response = await this.client.raw('queue', {
      method: 'GET',
      path: `/${app}/requests/${requestId}/status`,
      query: { logs: logs ? 1 : 0 },
      signal: options?.signal,
      headers: options?.headers,
      operation,
    });
    if (response.status === 404) {
      await drain(response);
      throw new MediaConduitError({
        code: 'INVALID_INPUT',
        status: 404,
        message: `${operation}: fal knows no request ${requestId} on ${app}: the id is wrong, or fal has forgotten the job (it keeps requests about an hour after they end). registry.trainingJobs() keeps what was recorded`,
      });
    }
    if (response.status < 200 || response.status >= 300) throw await falError(operation, response);
    try {
      return (await response.body.json()) as QueueStatus;
    } catch (error) {
      throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${operation}: the answer is not JSON`, cause: error });
    }
  }

  /** The job's logs, as events; its end as a last event. */
  private async events(id: string, options?: CallOptionsV1): Promise<TrainingEventV1[]> {
    const { app, requestId } = parseId(id);
    const status = await this.status(id, app, requestId, true, options);
    const events: TrainingEventV1[] = logLines(status).map((log) => ({
      at: log.at ?? new Date(this.now()).toISOString(),
      type: 'log',
      level: /error|stderr/i.test(log.level) ? 'error' : /warn/i.test(log.level) ? 'warning' : 'info',
      message: log.message,
      ...(stepOf(log.message) ? { step: stepOf(log.message)!.step } : {}),
    }));
    const info = await this.read(id, options);
    if (info.status === 'completed' || info.status === 'failed' || info.status === 'cancelled') {
      events.push({ at: info.updatedAt, type: `job_${info.status}`, level: info.status === 'failed' ? 'error' : 'info', message: info.error ?? info.outputModel ?? info.status });
    }
    return events;
  }

  private async cancel(id: string, options?: CallOptionsV1): Promise<TrainingJobInfoV1> {
    const { app, requestId } = parseId(id);
    const operation = `${LABEL} ${id}: cancel`;
    const response = await this.client.raw('queue', { method: 'PUT', path: `/${app}/requests/${requestId}/cancel`, signal: options?.signal, headers: options?.headers, operation });
    if (response.status === 400 || response.status === 404) {
      await drain(response);
      if (response.status === 404) throw new MediaConduitError({ code: 'INVALID_INPUT', status: 404, message: `${operation}: fal knows no request ${requestId} on ${app}` });
      const info = await this.read(id, options);
      throw new MediaConduitError({
        code: 'INVALID_INPUT',
        status: 400,
        message: `${operation}: the job already ended (${info.status}); only a job that has not ended can be cancelled`,
        details: { job: info },
      });
    }
    if (response.status < 200 || response.status >= 300) throw await falError(operation, response);
    await drain(response);
    // A queued request is removed; a running one is signalled, and may still finish: its state says which.
    const info = await this.read(id, options);
    return info.status === 'queued' || info.status === 'running' ? { ...info, providerStatus: 'CANCELLATION_REQUESTED' } : info;
  }

  /**
   * fal's price of a step of `trainer` (`GET /v1/models/pricing`), or undefined when fal prices it
   * otherwise or cannot say: the job has started by then, so a price that cannot be read is no error.
   */
  private async pricePerStep(trainer: string, signal: AbortSignal | undefined): Promise<number | undefined> {
    const price = (await readPrices(this.client, [trainer], `${LABEL}: price of ${trainer}`, signal).catch(() => undefined))?.get(trainer);
    return price?.unit === 'steps' ? price.usd : undefined;
  }

  /** The job's state from what fal said (`state`) and what this process knows; kept as its last state. */
  private info(id: string, state: Pick<TrainingJobInfoV1, 'status' | 'providerStatus'> & Partial<TrainingJobInfoV1>): TrainingJobInfoV1 {
    const known = this.known.get(id);
    const info: TrainingJobInfoV1 = {
      id,
      providerId: 'fal',
      baseModel: BASE_MODEL,
      outputCapability: 'text-to-image',
      createdAt: known?.createdAt ?? new Date(this.now()).toISOString(),
      updatedAt: new Date(this.now()).toISOString(),
      trainingFiles: known?.files ?? [],
      parameters: known?.parameters ?? {},
      ...(known?.warnings.length ? { warnings: known.warnings } : {}),
      ...(known?.costUsd === undefined ? {} : { costUsd: known.costUsd }),
      ...state,
    };
    if (known) known.last = info;
    return info;
  }
}

/** The pictures as a zip, stored (not deflated: PNG, JPEG and WebP are compressed already), each caption beside its picture. */
function zipArchive(files: readonly CheckedTrainingFile[]): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [index, file] of files.entries()) {
    // Numbered, so pictures of one name from two folders stay apart (and each keeps its caption).
    const stem = `${String(index + 1).padStart(3, '0')}-${file.name.slice(0, file.name.lastIndexOf('.')).replace(/[^\w.-]/g, '_')}`;
    entries[`${stem}${file.name.slice(file.name.lastIndexOf('.')).toLowerCase()}`] = [file.contents, { level: 0 }];
    if (file.caption !== undefined) entries[`${stem}.txt`] = [new TextEncoder().encode(file.caption), { level: 0 }];
  }
  return zipSync(entries);
}

function parseId(id: string): { trainer: string; requestId: string; app: string } {
  const match = typeof id === 'string' ? JOB_ID.exec(id) : null;
  if (!match || !FAL_TRAINERS[match[1]!]) {
    throw invalid(
      `no job "${String(id)}": fal job ids are "<trainer>:<request id>", e.g. "${DEFAULT_TRAINER}:764cabcf-b745-4b3e-ae38-1200304cf45b", as createTrainingJob returned them`,
    );
  }
  // Status, result and cancel name only owner/app.
  return { trainer: match[1]!, requestId: match[2]!, app: match[1]!.split('/').slice(0, 2).join('/') };
}

function logLines(status: QueueStatus): { message: string; level: string; at: string | undefined }[] {
  return (Array.isArray(status.logs) ? status.logs : [])
    .filter((log) => typeof log?.message === 'string')
    .map((log) => ({ message: String(log.message), level: typeof log.level === 'string' ? log.level : 'INFO', at: typeof log.timestamp === 'string' ? log.timestamp : undefined }));
}

/** `step 300/1000` in a log line. */
function stepOf(message: string): { step: number; totalSteps: number } | undefined {
  const match = /\bstep\s+(\d+)\s*\/\s*(\d+)/i.exec(message);
  return match ? { step: Number(match[1]), totalSteps: Number(match[2]) } : undefined;
}

/** Progress from the latest log lines: the last step count fal printed, and the last line. */
function progressOf(logs: readonly { message: string }[]): NonNullable<TrainingJobInfoV1['progress']> {
  const last = logs.at(-1)?.message;
  const steps = logs.map((log) => stepOf(log.message)).findLast((s) => s !== undefined);
  return {
    ...(steps ? { step: steps.step, totalSteps: steps.totalSteps, percent: Math.min(100, Math.round((steps.step / Math.max(1, steps.totalSteps)) * 100)) } : {}),
    ...(last === undefined ? {} : { message: last.slice(0, 500) }),
  };
}

function artifact(kind: string, file: FalFile | undefined): TrainingArtifactV1 | undefined {
  if (typeof file?.url !== 'string' || !/^https?:\/\//i.test(file.url)) return undefined;
  return {
    kind,
    url: file.url,
    ...(typeof file.file_name === 'string' ? { fileName: file.file_name } : {}),
    ...(typeof file.file_size === 'number' ? { bytes: file.file_size } : {}),
    ...(typeof file.content_type === 'string' ? { contentType: file.content_type } : {}),
  };
}

async function drain(response: HttpResponseV1): Promise<void> {
  await response.body.arrayBuffer().catch(() => undefined);
}

function invalid(message: string): MediaConduitError {
  return new MediaConduitError({ code: 'INVALID_INPUT', message: `${LABEL}: ${message}` });
}
