import {
  MediaConduitError,
  checkTrainingData,
  refuseTrainingOptions,
  trainingJobHandle,
  type CallOptionsV1,
  type CheckedTrainingFile,
  type ModelInfoV1,
  type TrainingCheckpointV1,
  type TrainingEventV1,
  type TrainingFilesV1,
  type TrainingFileV1,
  type TrainingJobInfoV1,
  type TrainingJobV1,
  type TrainingOptionsV1,
  type TrainingStatusV1,
} from '@mediaconduit/provider';
import { invalidResponse, type TogetherClient } from './together-client.js';

/** Defaults where the API has none that fits a LoRA job (the API's own: 1 epoch, learning rate 1e-5, batch size "max"). */
export const TOGETHER_TRAINING_DEFAULTS = { epochs: 1, learningRate: 0.00001, batchSize: 'max', loraRank: 8, loraAlpha: 16 } as const;

/** What Together offers instead of image LoRA training. */
const IMAGE_TRAINING_UNSUPPORTED =
  "Together's fine-tuning API trains LoRAs of language models from one JSONL file of examples; it does not train image LoRAs from pictures. " +
  'To use an image LoRA trained elsewhere, pass it at generation time: model.transform(prompt, { adapters: [{ path: "<LoRA URL or repo>", scale: 1 }] }) (sent as image_loras). ' +
  'To try the image workflow offline, train on the mock provider.';

const STATUS: Readonly<Record<string, TrainingStatusV1>> = {
  pending: 'pending',
  queued: 'queued',
  running: 'running',
  compressing: 'compressing',
  uploading: 'uploading',
  // Still holding resources until the service confirms; `providerStatus` says cancel_requested.
  cancel_requested: 'running',
  cancelled: 'cancelled',
  error: 'failed',
  user_error: 'failed',
  completed: 'completed',
};

/** A Together fine-tune job object (the fields read; the rest is ignored). */
interface RawJob {
  id?: unknown;
  status?: unknown;
  created_at?: unknown;
  updated_at?: unknown;
  model?: unknown;
  model_output_name?: unknown;
  training_file?: unknown;
  n_epochs?: unknown;
  epochs_completed?: unknown;
  learning_rate?: unknown;
  batch_size?: unknown;
  suffix?: unknown;
  training_type?: { lora_r?: unknown; lora_alpha?: unknown } | null;
  lora_r?: unknown;
  lora_alpha?: unknown;
  steps_completed?: unknown;
  total_steps?: unknown;
  progress?: { estimate_available?: unknown; seconds_remaining?: unknown } | null;
  events?: unknown;
}

interface RawEvent {
  created_at?: unknown;
  type?: unknown;
  level?: unknown;
  message?: unknown;
  step?: unknown;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** Together files and fine-tunes behind the contract's training interface. */
export class TogetherTraining {
  readonly files: TrainingFilesV1;

  constructor(
    private readonly client: TogetherClient,
    /** The capability of a catalogue model, for refusing image models as a base. */
    private readonly capabilityOf: (id: string, options: CallOptionsV1) => Promise<ModelInfoV1['capability'] | 'unknown'>,
    private readonly pollIntervalMs = 10_000,
  ) {
    this.files = {
      upload: async (path, options) => this.upload((await this.check(path)).files[0]!, options),
      list: (options) => this.listFiles(options),
      delete: (id, options) => this.deleteFile(id, options),
    };
  }

  private check(data: TrainingOptionsV1['data']) {
    return checkTrainingData(data, { label: 'together training', accept: ['jsonl'], unsupported: () => IMAGE_TRAINING_UNSUPPORTED });
  }

  async create(options: TrainingOptionsV1): Promise<TrainingJobV1> {
    if (typeof options !== 'object' || options === null) throw invalid('createTrainingJob needs options: { baseModel, data, … }');
    const baseModel = options.baseModel;
    if (typeof baseModel !== 'string' || baseModel === '') {
      throw invalid(
        'baseModel is required: the language model to train a LoRA of (GET /fine-tunes/models/supported lists them), e.g. "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"',
      );
    }
    const capability = await this.capabilityOf(baseModel, options);
    if (capability !== 'unknown' && capability !== 'text-to-text') {
      throw new MediaConduitError({ code: 'UNSUPPORTED', message: `together training: "${baseModel}" is a ${capability ?? 'non-language'} model. ${IMAGE_TRAINING_UNSUPPORTED}` });
    }
    refuseTrainingOptions(options, ['baseModel', 'suffix', 'epochs', 'learningRate', 'batchSize', 'loraRank', 'loraAlpha'], {
      label: 'together training',
      trainer: 'Together fine-tuning',
      why: {
        triggerWord: 'triggerWord applies to image LoRAs, which Together does not train; name the trained language model with suffix instead',
        steps: 'Together counts epochs: pass epochs',
        resolution: 'Together trains language models, not image LoRAs',
        isStyle: 'Together trains language models, not image LoRAs',
        createMasks: 'Together trains language models, not image LoRAs',
        trainer: 'Together has one fine-tuning method',
      },
    });
    const epochs = whole('epochs', options.epochs ?? TOGETHER_TRAINING_DEFAULTS.epochs, 1, 100);
    const batchSize = options.batchSize === 'max' || options.batchSize === undefined ? TOGETHER_TRAINING_DEFAULTS.batchSize : whole('batchSize', options.batchSize, 1, 1024);
    const loraRank = whole('loraRank', options.loraRank ?? TOGETHER_TRAINING_DEFAULTS.loraRank, 1, 1024);
    const loraAlpha = whole('loraAlpha', options.loraAlpha ?? TOGETHER_TRAINING_DEFAULTS.loraAlpha, 1, 4096);
    const learningRate = options.learningRate ?? TOGETHER_TRAINING_DEFAULTS.learningRate;
    if (typeof learningRate !== 'number' || !(learningRate > 0 && learningRate < 1))
      throw invalid(`learningRate must be a number between 0 and 1, got ${JSON.stringify(learningRate)}`);
    if (options.suffix !== undefined && (typeof options.suffix !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(options.suffix))) {
      throw invalid(`suffix must be 1 to 40 letters, digits, ".", "-" or "_", got ${JSON.stringify(options.suffix)}`);
    }
    // Every check runs before anything is uploaded.
    const data = await this.check(options.data);
    for (const warning of data.warnings) options.onWarning?.(warning);
    const file = await this.upload(data.files[0]!, options);
    let raw: RawJob;
    try {
      ({ body: raw } = await this.client.json<RawJob>({
        method: 'POST',
        path: '/fine-tunes',
        json: {
          training_file: file.id,
          model: baseModel,
          n_epochs: epochs,
          learning_rate: learningRate,
          batch_size: batchSize,
          ...(options.suffix ? { suffix: options.suffix } : {}),
          training_type: { type: 'Lora', lora_r: loraRank, lora_alpha: loraAlpha },
        },
        signal: options.signal,
        headers: options.headers,
        operation: 'together create fine-tune',
      }));
    } catch (error) {
      // No job uses the file: remove it, so a failed start leaves nothing behind.
      await this.deleteFile(file.id, {}).catch(() => {});
      throw error;
    }
    const info = toJobInfo(raw, 'together create fine-tune');
    return this.handle({ ...info, warnings: data.warnings.length ? data.warnings : undefined });
  }

  async get(id: string, options?: CallOptionsV1): Promise<TrainingJobV1> {
    return this.handle(await this.read(id, options));
  }

  async list(options?: CallOptionsV1): Promise<TrainingJobInfoV1[]> {
    const { body } = await this.client.json<{ data?: unknown }>({
      method: 'GET',
      path: '/fine-tunes',
      signal: options?.signal,
      headers: options?.headers,
      operation: 'together list fine-tunes',
    });
    if (!Array.isArray(body.data)) throw invalidResponse('together list fine-tunes', 'it has no data list');
    return body.data.map((raw) => toJobInfo(raw as RawJob, 'together list fine-tunes')).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The model info of a completed fine-tune's output model, or why it cannot be used yet. */
  async outputModel(id: string, options: CallOptionsV1): Promise<{ info: ModelInfoV1 } | { problem: string } | undefined> {
    const job = (await this.list(options)).find((j) => j.outputModel === id);
    if (!job) return undefined;
    if (job.status !== 'completed') return { problem: `fine-tune ${job.id} that trains "${id}" is ${job.providerStatus}; the model can be used once the job completed` };
    return { info: { id, providerId: 'together', capability: 'text-to-text', providerType: 'chat', displayName: `${id} (LoRA of ${job.baseModel})` } };
  }

  private async read(id: string, options?: CallOptionsV1): Promise<TrainingJobInfoV1> {
    if (typeof id !== 'string' || !/^[\w.:-]+$/.test(id)) throw invalid(`no fine-tune "${String(id)}": Together job ids look like ft-…`);
    const operation = `together fine-tune ${id}`;
    const { body } = await this.client.json<RawJob>({ method: 'GET', path: `/fine-tunes/${id}`, signal: options?.signal, headers: options?.headers, operation });
    const info = toJobInfo(body, operation);
    if (info.status === 'failed' && info.error === undefined) {
      const failure = (await this.events(id, options).catch(() => [])).findLast((e) => e.level === 'error');
      if (failure) info.error = failure.message;
    }
    return info;
  }

  private async events(id: string, options?: CallOptionsV1): Promise<TrainingEventV1[]> {
    const operation = `together fine-tune ${id} events`;
    const { body } = await this.client.json<{ data?: unknown }>({ method: 'GET', path: `/fine-tunes/${id}/events`, signal: options?.signal, headers: options?.headers, operation });
    if (!Array.isArray(body.data)) throw invalidResponse(operation, 'it has no data list');
    return body.data.map((raw) => toEvent(raw as RawEvent));
  }

  private async checkpoints(id: string, options?: CallOptionsV1): Promise<TrainingCheckpointV1[]> {
    const operation = `together fine-tune ${id} checkpoints`;
    const { body } = await this.client.json<{ data?: unknown }>({
      method: 'GET',
      path: `/fine-tunes/${id}/checkpoints`,
      signal: options?.signal,
      headers: options?.headers,
      operation,
    });
    if (!Array.isArray(body.data)) throw invalidResponse(operation, 'it has no data list');
    return body.data.map((raw) => {
      const c = raw as { step?: unknown; created_at?: unknown; path?: unknown; checkpoint_type?: unknown };
      return { step: num(c.step) ?? 0, createdAt: str(c.created_at) ?? '', path: str(c.path) ?? '', type: str(c.checkpoint_type) ?? 'unknown' };
    });
  }

  private handle(initial: TrainingJobInfoV1): TrainingJobV1 {
    const id = initial.id;
    return trainingJobHandle({
      initial,
      read: (options) => this.read(id, options),
      events: (options) => this.events(id, options),
      checkpoints: (options) => this.checkpoints(id, options),
      cancel: async (options) => {
        const operation = `together cancel fine-tune ${id}`;
        const { body } = await this.client.json<RawJob>({ method: 'POST', path: `/fine-tunes/${id}/cancel`, signal: options?.signal, headers: options?.headers, operation });
        return toJobInfo(body, operation);
      },
      pollIntervalMs: this.pollIntervalMs,
      label: `together fine-tune ${id}`,
    });
  }

  private async upload(file: CheckedTrainingFile, options?: CallOptionsV1): Promise<TrainingFileV1> {
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file_name', file.name);
    form.append('file_type', 'jsonl');
    form.append('file', new Blob([file.contents], { type: 'application/jsonl' }), file.name);
    const operation = `together upload ${file.name}`;
    const { body } = await this.client.json<unknown>({ method: 'POST', path: '/files/upload', form, signal: options?.signal, headers: options?.headers, operation });
    return toFile(body, operation);
  }

  private async listFiles(options?: CallOptionsV1): Promise<TrainingFileV1[]> {
    const { body } = await this.client.json<{ data?: unknown }>({
      method: 'GET',
      path: '/files',
      signal: options?.signal,
      headers: options?.headers,
      operation: 'together list files',
    });
    if (!Array.isArray(body.data)) throw invalidResponse('together list files', 'it has no data list');
    return body.data.map((raw) => toFile(raw, 'together list files'));
  }

  private async deleteFile(id: string, options?: CallOptionsV1): Promise<void> {
    if (typeof id !== 'string' || !/^[\w.-]+$/.test(id)) throw invalid(`no file "${String(id)}": Together file ids look like file-…`);
    const operation = `together delete file ${id}`;
    const { body } = await this.client.json<{ deleted?: unknown }>({ method: 'DELETE', path: `/files/${id}`, signal: options?.signal, headers: options?.headers, operation });
    if (body.deleted !== true) throw invalidResponse(operation, 'it does not say the file was deleted');
  }
}

function toJobInfo(raw: RawJob, operation: string): TrainingJobInfoV1 {
  const id = str(raw?.id);
  const providerStatus = str(raw?.status);
  if (!id || !providerStatus) throw invalidResponse(operation, 'the fine-tune has no id or status');
  const status = STATUS[providerStatus.toLowerCase()] ?? 'running';
  const epochs = num(raw.n_epochs);
  const epochsDone = num(raw.epochs_completed);
  const step = num(raw.steps_completed);
  const totalSteps = num(raw.total_steps);
  const percent =
    status === 'completed'
      ? 100
      : totalSteps && step !== undefined
        ? Math.round((step / totalSteps) * 100)
        : epochs && epochsDone !== undefined
          ? Math.round((epochsDone / epochs) * 100)
          : undefined;
  const seconds = raw.progress?.estimate_available === true ? num(raw.progress.seconds_remaining) : undefined;
  const batch = raw.batch_size === 'max' ? 'max' : num(raw.batch_size);
  const loraRank = num(raw.training_type?.lora_r) ?? num(raw.lora_r);
  const loraAlpha = num(raw.training_type?.lora_alpha) ?? num(raw.lora_alpha);
  const createdAt = str(raw.created_at) ?? new Date(0).toISOString();
  const progress = {
    ...(percent !== undefined ? { percent } : {}),
    ...(step !== undefined ? { step } : {}),
    ...(totalSteps !== undefined ? { totalSteps } : {}),
    ...(epochsDone !== undefined ? { epoch: epochsDone } : {}),
    ...(epochs !== undefined ? { totalEpochs: epochs } : {}),
    ...(seconds !== undefined ? { secondsRemaining: seconds } : {}),
  };
  const output = str(raw.model_output_name);
  return {
    id,
    providerId: 'together',
    status,
    providerStatus,
    baseModel: str(raw.model) ?? '',
    ...(output ? { outputModel: output, outputCapability: 'text-to-text' as const } : {}),
    createdAt,
    updatedAt: str(raw.updated_at) ?? createdAt,
    ...(Object.keys(progress).length ? { progress } : {}),
    trainingFiles: str(raw.training_file) ? [str(raw.training_file)!] : [],
    parameters: {
      ...(epochs !== undefined ? { epochs } : {}),
      ...(num(raw.learning_rate) !== undefined ? { learningRate: num(raw.learning_rate) } : {}),
      ...(batch !== undefined ? { batchSize: batch } : {}),
      ...(loraRank !== undefined ? { loraRank } : {}),
      ...(loraAlpha !== undefined ? { loraAlpha } : {}),
      ...(str(raw.suffix) ? { suffix: str(raw.suffix) } : {}),
    },
  };
}

function toEvent(raw: RawEvent): TrainingEventV1 {
  const level = String(raw.level ?? '').toLowerCase();
  const type = (str(raw.type) ?? 'unknown').toLowerCase();
  return {
    at: str(raw.created_at) ?? '',
    type,
    level: level.includes('error') || type.includes('error') ? 'error' : level.includes('warn') ? 'warning' : 'info',
    message: typeof raw.message === 'string' ? raw.message : '',
    ...(num(raw.step) ? { step: num(raw.step) } : {}),
  };
}

function toFile(raw: unknown, operation: string): TrainingFileV1 {
  const f = raw as { id?: unknown; filename?: unknown; bytes?: unknown; created_at?: unknown; purpose?: unknown };
  const id = str(f?.id);
  if (!id) throw invalidResponse(operation, 'the file has no id');
  const created = num(f.created_at);
  return {
    id,
    name: str(f.filename) ?? '',
    bytes: num(f.bytes) ?? 0,
    createdAt: created === undefined ? '' : new Date(created * 1000).toISOString(),
    purpose: str(f.purpose) ?? '',
  };
}

function whole(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

function invalid(message: string): MediaConduitError {
  return new MediaConduitError({ code: 'INVALID_INPUT', message: `together training: ${message}` });
}
