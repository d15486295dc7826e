import {
  MediaConduitError,
  checkTrainingData,
  refuseTrainingOptions,
  trainingJobHandle,
  type ModelInfoV1,
  type TrainingArtifactV1,
  type TrainingCheckpointV1,
  type TrainingEventV1,
  type TrainingJobInfoV1,
  type TrainingJobV1,
  type TrainingOptionsV1,
  type TrainingStatusV1,
} from '@mediaconduit/provider';
import { encodeMockWeights, MOCK_WEIGHTS_TYPE, mockWeightsUrl } from './lora-weights.js';
import { MOCK_MODELS } from './models.js';
import { PROVIDER_ID } from './provider-info.js';
import { hashString } from './random.js';

/** The report's defaults: FLUX-style LoRA training of one image model. */
export const MOCK_TRAINING_DEFAULTS = {
  baseModel: 'mock/gradient-1',
  triggerWord: 'TOK',
  epochs: 100,
  learningRate: 0.0002,
  batchSize: 1,
  loraRank: 16,
  loraAlpha: 16,
  resolution: 1024,
} as const;

const IMAGE_MODELS = MOCK_MODELS.filter((m) => m.capability === 'text-to-image').map((m) => m.id);
const TRIGGER = /^[A-Za-z0-9_]{1,32}$/;
/** Job ids carry everything a new process needs to follow the job: the mock keeps no files. */
const JOB_ID = /^mockft-([0-9a-z]+)-([0-9a-z]+)-([0-9a-z]+)-([0-9a-z]+)-(\d+)-([0-9a-f]{6})-([01])-([A-Za-z0-9_]{1,32})$/;
export const LORA_PREFIX = 'mock-lora/';

/** Where in its run a job's phases start, as fractions of its duration. */
const PHASES: readonly [number, TrainingStatusV1][] = [
  [0, 'pending'],
  [0.05, 'queued'],
  [0.1, 'running'],
  [0.85, 'compressing'],
  [0.92, 'uploading'],
  [1, 'completed'],
];
const RUN_START = 0.1;
const RUN_END = 0.85;
const FAIL_AT = 0.5;

/** A simulated job, as decoded from its id. */
interface MockJob {
  id: string;
  createdMs: number;
  durationMs: number;
  totalSteps: number;
  epochs: number;
  baseModel: string;
  /** The learnt colour (from the training images' bytes). */
  style: string;
  fails: boolean;
  triggerWord: string;
}

/** What the trained model paints when its trigger word is in the prompt. */
export interface MockLora {
  triggerWord: string;
  rgb: readonly [number, number, number];
}

/** What the host lends the mock's training: its clock, and a folder every process sees. */
export interface MockTrainingHost {
  /** The host's clock (`context.now`). Default `Date.now`. */
  now?: (() => number) | undefined;
  /**
   * Where cancellations are kept (`context.dataDir`), so that a job cancelled by one process is
   * cancelled for every process, as at a real service. Without it, only this process knows.
   */
  dataDir?: string | undefined;
}

/** Simulated, offline LoRA training: real data checks, a timed lifecycle, and a model whose trigger word changes its images. */
export class MockTraining {
  /** Jobs of this process: parameters for `info`. */
  private readonly own = new Map<string, { parameters: TrainingJobInfoV1['parameters']; files: string[]; warnings: string[] }>();
  /** Cancellations this process made or read. */
  private readonly cancelled = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly settings: { trainingMs: number; trainingFailure?: string | undefined },
    private readonly host: MockTrainingHost = {},
  ) {
    this.now = host.now ?? Date.now;
  }

  async create(options: TrainingOptionsV1): Promise<TrainingJobV1> {
    const label = 'mock training';
    if (typeof options !== 'object' || options === null) throw invalid('createTrainingJob needs options: { data, triggerWord?, baseModel?, … }');
    refuseTrainingOptions(options, ['baseModel', 'triggerWord', 'suffix', 'epochs', 'learningRate', 'batchSize', 'loraRank', 'loraAlpha', 'resolution'], {
      label,
      trainer: 'the mock trainer',
      why: { steps: 'the mock counts epochs: pass epochs' },
    });
    const baseModel = options.baseModel ?? MOCK_TRAINING_DEFAULTS.baseModel;
    if (!IMAGE_MODELS.includes(baseModel)) throw invalid(`baseModel "${baseModel}" cannot be trained; the mock trains image LoRAs of ${IMAGE_MODELS.join(', ')}`);
    const triggerWord = options.triggerWord ?? MOCK_TRAINING_DEFAULTS.triggerWord;
    if (typeof triggerWord !== 'string' || !TRIGGER.test(triggerWord))
      throw invalid(`triggerWord must be 1 to 32 letters, digits or underscores (a word to put in prompts, e.g. "sks"), got ${JSON.stringify(triggerWord)}`);
    const epochs = whole('epochs', options.epochs ?? MOCK_TRAINING_DEFAULTS.epochs, 1, 10_000);
    const batchSize = options.batchSize === 'max' ? 4 : whole('batchSize', options.batchSize ?? MOCK_TRAINING_DEFAULTS.batchSize, 1, 64);
    const loraRank = whole('loraRank', options.loraRank ?? MOCK_TRAINING_DEFAULTS.loraRank, 1, 256);
    const loraAlpha = whole('loraAlpha', options.loraAlpha ?? MOCK_TRAINING_DEFAULTS.loraAlpha, 1, 1024);
    const resolution = whole('resolution', options.resolution ?? MOCK_TRAINING_DEFAULTS.resolution, 256, 2048);
    const learningRate = options.learningRate ?? MOCK_TRAINING_DEFAULTS.learningRate;
    if (typeof learningRate !== 'number' || !(learningRate > 0 && learningRate < 1))
      throw invalid(`learningRate must be a number between 0 and 1, got ${JSON.stringify(learningRate)}`);
    if (options.suffix !== undefined && (typeof options.suffix !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(options.suffix)))
      throw invalid(`suffix must be 1 to 40 letters, digits, "-" or "_", got ${JSON.stringify(options.suffix)}`);

    const data = await checkTrainingData(options.data, {
      label,
      accept: ['images'],
      captions: true,
      unsupported: () =>
        'the mock trains image LoRAs from pictures (PNG, JPEG, WebP), not language models from JSONL; train on JSONL with the Together provider, or pass a folder of images',
    });
    for (const warning of data.warnings) options.onWarning?.(warning);
    let styleHash = 0;
    for (const file of data.files) styleHash = hashString(Buffer.from(file.contents).toString('latin1'), styleHash);
    const style = (styleHash & 0xffffff).toString(16).padStart(6, '0');
    const totalSteps = epochs * Math.ceil(data.files.length / batchSize);
    const createdMs = this.now();
    const id = [
      'mockft',
      createdMs.toString(36),
      this.settings.trainingMs.toString(36),
      totalSteps.toString(36),
      epochs.toString(36),
      IMAGE_MODELS.indexOf(baseModel),
      style,
      this.settings.trainingFailure ? 1 : 0,
      triggerWord,
    ].join('-');
    this.own.set(id, {
      parameters: { epochs, learningRate, batchSize, loraRank, loraAlpha, resolution, triggerWord, ...(options.suffix ? { suffix: options.suffix } : {}) },
      files: data.files.map((f) => f.name),
      warnings: data.warnings,
    });
    return this.handle(decode(id)!);
  }

  async get(id: string): Promise<TrainingJobV1> {
    const job = typeof id === 'string' ? decode(id) : undefined;
    if (!job)
      throw new MediaConduitError({ code: 'INVALID_INPUT', message: `mock training: no job "${String(id)}"; mock job ids look like mockft-…, as createTrainingJob returned them` });
    return this.handle(job);
  }

  async list(): Promise<TrainingJobInfoV1[]> {
    return [...this.own.keys()].map((id) => this.info(decode(id)!)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The LoRA of a completed job's output model, or why it cannot be used. */
  lora(modelId: string): { info: ModelInfoV1; lora: MockLora; baseModel: string } | { problem: string } {
    const job = decode(modelId.slice(LORA_PREFIX.length));
    if (!modelId.startsWith(LORA_PREFIX) || !job) return { problem: `"${modelId}" is not a mock LoRA id (mock-lora/mockft-…)` };
    const info = this.info(job);
    if (info.status !== 'completed')
      return { problem: `the job that trains "${modelId}" is ${info.status}${info.status === 'running' ? ` (${info.progress?.percent}%)` : ''}; it can be used once completed` };
    const n = Number.parseInt(job.style, 16);
    return {
      info: { id: modelId, providerId: PROVIDER_ID, capability: 'text-to-image', displayName: `Mock LoRA "${job.triggerWord}" on ${job.baseModel}`, organization: 'MediaConduit' },
      lora: { triggerWord: job.triggerWord, rgb: [(n >> 16) & 255, (n >> 8) & 255, n & 255] },
      baseModel: job.baseModel,
    };
  }

  private handle(job: MockJob): TrainingJobV1 {
    return trainingJobHandle({
      initial: this.info(job),
      read: async () => this.info(job),
      events: async () => this.events(job),
      checkpoints: async () => this.checkpoints(job),
      cancel: async () => {
        const info = this.info(job);
        if (info.status === 'completed' || info.status === 'failed' || info.status === 'cancelled') {
          throw new MediaConduitError({
            code: 'INVALID_INPUT',
            message: `mock training ${job.id}: the job is already ${info.status}; only a job that has not ended can be cancelled`,
          });
        }
        this.recordCancel(job.id, this.now());
        return this.info(job);
      },
      pollIntervalMs: Math.max(20, Math.min(1000, Math.round(job.durationMs / 40))),
      label: `mock training ${job.id}`,
    });
  }

  /** When `id` was cancelled, by this process or (through the shared folder) another; `undefined` if it was not. */
  private cancelledAt(id: string): number | undefined {
    const known = this.cancelled.get(id);
    if (known !== undefined || !this.host.dataDir) return known;
    try {
      const at = Number(process.getBuiltinModule('node:fs').readFileSync(`${this.host.dataDir}/cancelled/${id}`, 'utf8'));
      if (Number.isFinite(at)) this.cancelled.set(id, at);
      return Number.isFinite(at) ? at : undefined;
    } catch {
      return undefined;
    }
  }

  private recordCancel(id: string, at: number): void {
    this.cancelled.set(id, at);
    if (!this.host.dataDir) return;
    const fs = process.getBuiltinModule('node:fs');
    fs.mkdirSync(`${this.host.dataDir}/cancelled`, { recursive: true });
    // Whole or not at all (temporary file, then rename): another process may read it at any moment.
    const temporary = `${this.host.dataDir}/cancelled/.${id}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, String(at));
    fs.renameSync(temporary, `${this.host.dataDir}/cancelled/${id}`);
  }

  private fraction(job: MockJob, at = this.now()): number {
    return job.durationMs === 0 ? 1 : Math.max(0, (at - job.createdMs) / job.durationMs);
  }

  private info(job: MockJob): TrainingJobInfoV1 {
    const cancelledAt = this.cancelledAt(job.id);
    const f = this.fraction(job, cancelledAt ?? this.now());
    const failed = job.fails && f >= FAIL_AT;
    let status: TrainingStatusV1 = failed ? 'failed' : PHASES.filter(([start]) => f >= start).at(-1)![1];
    if (cancelledAt !== undefined && status !== 'completed' && status !== 'failed') status = 'cancelled';
    const runFraction = Math.min(1, Math.max(0, (Math.min(f, failed ? FAIL_AT : 1) - RUN_START) / (RUN_END - RUN_START)));
    const step = Math.floor(runFraction * job.totalSteps);
    const own = this.own.get(job.id);
    const updatedMs = Math.min(this.now(), job.createdMs + job.durationMs);
    return {
      id: job.id,
      providerId: PROVIDER_ID,
      status,
      providerStatus: status,
      baseModel: job.baseModel,
      outputModel: `${LORA_PREFIX}${job.id}`,
      outputCapability: 'text-to-image',
      createdAt: new Date(job.createdMs).toISOString(),
      updatedAt: new Date(cancelledAt ?? updatedMs).toISOString(),
      progress: {
        percent: status === 'completed' ? 100 : Math.round(runFraction * 100),
        step,
        totalSteps: job.totalSteps,
        epoch: Math.min(job.epochs, Math.ceil((step / job.totalSteps) * job.epochs)),
        totalEpochs: job.epochs,
        secondsRemaining: status === 'completed' || status === 'failed' || status === 'cancelled' ? 0 : Math.ceil(Math.max(0, job.createdMs + job.durationMs - this.now()) / 1000),
      },
      ...(failed ? { error: this.settings.trainingFailure ?? 'simulated failure (the mock was configured with trainingFailure)' } : {}),
      ...(status === 'completed' ? { artifacts: [this.weights(job)] } : {}),
      trainingFiles: own?.files ?? [],
      parameters: own?.parameters ?? { epochs: job.epochs, triggerWord: job.triggerWord },
      ...(own?.warnings.length ? { warnings: own.warnings } : {}),
    };
  }

  /**
   * A completed job's weights: a small safetensors file, inline as a `data:` URL (the mock keeps no
   * files, and works offline). fal takes it as it is; for services that download LoRAs from http(s)
   * URLs only (Together), core's `publishAdapter` uploads it to a provider's storage first.
   */
  private weights(job: MockJob): TrainingArtifactV1 {
    const bytes = encodeMockWeights(job);
    return {
      kind: 'weights',
      url: mockWeightsUrl(bytes),
      fileName: `mock-lora-${job.triggerWord}-${job.style}.safetensors`,
      bytes: bytes.byteLength,
      contentType: MOCK_WEIGHTS_TYPE,
    };
  }

  private events(job: MockJob): TrainingEventV1[] {
    const at = (f: number) => new Date(job.createdMs + f * job.durationMs).toISOString();
    const cancelledAt = this.cancelledAt(job.id);
    const reached = this.fraction(job, cancelledAt ?? this.now());
    const out: (TrainingEventV1 & { f: number })[] = [
      { f: 0, at: at(0), type: 'job_pending', level: 'info', message: 'job created; waiting for a worker' },
      { f: 0.05, at: at(0.05), type: 'job_start', level: 'info', message: 'a worker took the job' },
      { f: RUN_START, at: at(RUN_START), type: 'training_start', level: 'info', message: `training ${job.epochs} epochs, ${job.totalSteps} steps` },
      ...[0.25, 0.5, 0.75].map((q) => {
        const f = RUN_START + q * (RUN_END - RUN_START);
        const step = Math.floor(q * job.totalSteps);
        return { f, at: at(f), type: 'checkpoint_save', level: 'info' as const, message: `checkpoint at step ${step}`, step };
      }),
      { f: RUN_END, at: at(RUN_END), type: 'training_complete', level: 'info', message: 'training complete', step: job.totalSteps },
      { f: 0.85, at: at(0.85), type: 'model_compressing', level: 'info', message: 'compressing the LoRA' },
      { f: 0.92, at: at(0.92), type: 'model_uploading', level: 'info', message: 'storing the LoRA' },
      { f: 1, at: at(1), type: 'job_complete', level: 'info', message: `done: use ${LORA_PREFIX}${job.id}` },
    ];
    let events = out.filter((e) => e.f <= reached);
    if (job.fails) {
      events = events.filter((e) => e.f < FAIL_AT);
      if (reached >= FAIL_AT) events.push({ f: FAIL_AT, at: at(FAIL_AT), type: 'job_error', level: 'error', message: this.settings.trainingFailure ?? 'simulated failure' });
    }
    if (cancelledAt !== undefined && events.at(-1)?.type !== 'job_complete' && events.at(-1)?.type !== 'job_error') {
      events.push({ f: reached, at: new Date(cancelledAt).toISOString(), type: 'job_cancelled', level: 'warning', message: 'cancelled on request' });
    }
    return events.map(({ f: _f, ...event }) => event);
  }

  private checkpoints(job: MockJob): TrainingCheckpointV1[] {
    return this.events(job)
      .filter((e) => e.type === 'checkpoint_save' || e.type === 'training_complete')
      .map((e) => ({ step: e.step ?? 0, createdAt: e.at, path: `${LORA_PREFIX}${job.id}@${e.step}`, type: e.type === 'training_complete' ? 'final' : 'intermediate' }));
  }
}

function decode(id: string): MockJob | undefined {
  const m = JOB_ID.exec(id);
  if (!m) return undefined;
  const baseModel = IMAGE_MODELS[Number(m[5])];
  if (!baseModel) return undefined;
  return {
    id,
    createdMs: Number.parseInt(m[1]!, 36),
    durationMs: Number.parseInt(m[2]!, 36),
    totalSteps: Math.max(1, Number.parseInt(m[3]!, 36)),
    epochs: Math.max(1, Number.parseInt(m[4]!, 36)),
    baseModel,
    style: m[6]!,
    fails: m[7] === '1',
    triggerWord: m[8]!,
  };
}

function whole(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

function invalid(message: string): MediaConduitError {
  return new MediaConduitError({ code: 'INVALID_INPUT', message: `mock training: ${message}` });
}
