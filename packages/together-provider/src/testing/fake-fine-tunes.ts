import { randomBytes, randomUUID } from 'node:crypto';

/** A file uploaded to the fake. */
export interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  fileType: string;
  createdAt: number;
  content: Uint8Array;
}

/** A fine-tune job of the fake; its status follows from the clock. */
export interface FakeFineTune {
  id: string;
  createdMs: number;
  request: Record<string, unknown>;
  epochs: number;
  checkpoints: number;
  outputName: string;
  cancelRequestedMs?: number;
  failure?: { atMs: number; message: string };
}

/** Simulated time per phase of a job: pending, queued, each epoch, compressing, uploading, and a cancel. */
export const STEPS_PER_EPOCH = 10;

/** Files and fine-tunes, with a lifecycle driven by a clock the test can move. */
export class FakeFineTunes {
  readonly files = new Map<string, FakeFile>();
  readonly jobs = new Map<string, FakeFineTune>();

  constructor(
    readonly now: () => number,
    readonly phaseMs: number,
  ) {}

  addFile(filename: string, purpose: string, fileType: string, content: Uint8Array, id = `file-${randomUUID()}`): FakeFile {
    const file: FakeFile = { id, filename, purpose, fileType, createdAt: Math.floor(this.now() / 1000), content };
    this.files.set(file.id, file);
    return file;
  }

  fileObject(file: FakeFile): Record<string, unknown> {
    return {
      id: file.id,
      object: 'file',
      created_at: file.createdAt,
      filename: file.filename,
      bytes: file.content.byteLength,
      purpose: file.purpose,
      FileType: file.fileType,
      Processed: true,
    };
  }

  create(request: Record<string, unknown>, model: string): FakeFineTune {
    const suffix = typeof request.suffix === 'string' ? request.suffix : 'ft';
    const job: FakeFineTune = {
      id: `ft-${randomUUID()}`,
      createdMs: this.now(),
      request,
      epochs: typeof request.n_epochs === 'number' ? request.n_epochs : 1,
      checkpoints: typeof request.n_checkpoints === 'number' ? Math.max(1, request.n_checkpoints) : 1,
      outputName: `fake-user/${model.split('/').pop()}-${suffix}-${randomBytes(3).toString('hex')}`,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  /** Phase start times, relative to creation. */
  private schedule(job: FakeFineTune) {
    const p = this.phaseMs;
    const running = 2 * p;
    const compressing = running + job.epochs * p;
    return { queued: p, running, compressing, uploading: compressing + p, completed: compressing + 2 * p };
  }

  status(job: FakeFineTune, at = this.now()): string {
    const t = at - job.createdMs;
    const s = this.schedule(job);
    if (job.failure && at >= job.failure.atMs) return 'error';
    if (job.cancelRequestedMs !== undefined && t < s.completed) return at >= job.cancelRequestedMs + this.phaseMs ? 'cancelled' : 'cancel_requested';
    if (t >= s.completed) return 'completed';
    if (t >= s.uploading) return 'uploading';
    if (t >= s.compressing) return 'compressing';
    if (t >= s.running) return 'running';
    if (t >= s.queued) return 'queued';
    return 'pending';
  }

  isFinal(job: FakeFineTune): boolean {
    return ['completed', 'cancelled', 'error'].includes(this.status(job));
  }

  /** Epochs finished by `at`, stopped where the job failed or was cancelled. */
  private epochsDone(job: FakeFineTune, at = this.now()): number {
    const end = Math.min(at, job.failure?.atMs ?? Infinity, job.cancelRequestedMs ?? Infinity);
    const s = this.schedule(job);
    return Math.max(0, Math.min(job.epochs, Math.floor((end - job.createdMs - s.running) / this.phaseMs)));
  }

  /** The job object (`FinetuneResponse`; the truncated form leaves out the events). */
  object(job: FakeFineTune, truncated: boolean): Record<string, unknown> {
    const status = this.status(job);
    const done = this.epochsDone(job);
    const iso = (ms: number) => new Date(ms).toISOString();
    const updated = this.events(job).at(-1)?.created_at ?? iso(job.createdMs);
    const r = job.request;
    return {
      id: job.id,
      status,
      created_at: iso(job.createdMs),
      updated_at: updated,
      started_at: iso(job.createdMs + this.schedule(job).running),
      user_id: 'fake-user',
      owner_address: 'fake-user@example.invalid',
      total_price: 0,
      token_count: 1000 * job.epochs,
      training_file: r.training_file,
      ...(typeof r.validation_file === 'string' ? { validation_file: r.validation_file } : {}),
      model: r.model,
      model_output_name: job.outputName,
      ...(typeof r.suffix === 'string' ? { suffix: r.suffix } : {}),
      n_epochs: job.epochs,
      n_checkpoints: job.checkpoints,
      n_evals: typeof r.n_evals === 'number' ? r.n_evals : 0,
      // The service answers the batch size it chose for "max" (the description's job object has an integer).
      batch_size: typeof r.batch_size === 'number' ? r.batch_size : 8,
      learning_rate: typeof r.learning_rate === 'number' ? r.learning_rate : 0.00001,
      training_type: r.training_type ?? { type: 'Lora', lora_r: 8, lora_alpha: 16, lora_dropout: 0, lora_trainable_modules: 'all-linear' },
      epochs_completed: done,
      steps_completed: done * STEPS_PER_EPOCH,
      total_steps: job.epochs * STEPS_PER_EPOCH,
      progress: { estimate_available: status === 'running', seconds_remaining: Math.max(0, Math.ceil((job.createdMs + this.schedule(job).completed - this.now()) / 1000)) },
      events: truncated ? [] : this.events(job),
    };
  }

  /** The job's event log up to now. */
  events(job: FakeFineTune): Record<string, unknown>[] {
    const s = this.schedule(job);
    const p = this.phaseMs;
    const total = job.epochs * STEPS_PER_EPOCH;
    const timeline: [number, string, string, number?][] = [
      [0, 'job_pending', 'Fine-tune job created'],
      [s.queued, 'job_start', 'Job started'],
      [s.queued, 'model_downloading', 'Downloading the base model'],
      [s.running, 'training_start', 'Training started'],
    ];
    const every = Math.max(1, Math.round(job.epochs / job.checkpoints));
    for (let epoch = 1; epoch <= job.epochs; epoch++) {
      const at = s.running + epoch * p;
      timeline.push([at, 'epoch_complete', `Epoch ${epoch}/${job.epochs} complete`, epoch * STEPS_PER_EPOCH]);
      if (epoch % every === 0 || epoch === job.epochs) timeline.push([at, 'checkpoint_save', `Checkpoint saved at step ${epoch * STEPS_PER_EPOCH}`, epoch * STEPS_PER_EPOCH]);
    }
    timeline.push(
      [s.compressing, 'training_complete', 'Training complete', total],
      [s.compressing, 'model_compressing', 'Compressing the adapter'],
      [s.uploading, 'model_uploading', 'Uploading the adapter'],
      [s.completed, 'job_complete', `Job complete: ${job.outputName}`],
    );
    const now = this.now();
    const stop = Math.min(now, job.failure?.atMs ?? Infinity, job.cancelRequestedMs ?? Infinity);
    const events = timeline.filter(([at]) => job.createdMs + at <= stop).map(([at, type, message, step]) => this.event(job, job.createdMs + at, type, message, step));
    if (job.failure && now >= job.failure.atMs) events.push(this.event(job, job.failure.atMs, 'job_error', job.failure.message, undefined, 'error'));
    if (job.cancelRequestedMs !== undefined && now >= job.cancelRequestedMs && this.status(job, job.cancelRequestedMs) !== 'completed') {
      events.push(this.event(job, job.cancelRequestedMs, 'cancel_requested', 'Cancel requested'));
      if (this.status(job) === 'cancelled') events.push(this.event(job, job.cancelRequestedMs + p, 'job_stopped', 'Job cancelled'));
    }
    return events;
  }

  private event(job: FakeFineTune, ms: number, type: string, message: string, step?: number, level = 'info'): Record<string, unknown> {
    return {
      object: 'fine-tune-event',
      created_at: new Date(ms).toISOString(),
      level,
      message,
      type,
      param_count: 0,
      token_count: 0,
      total_steps: job.epochs * STEPS_PER_EPOCH,
      wandb_url: '',
      step: step ?? 0,
      checkpoint_path: type === 'checkpoint_save' ? `${job.outputName}/checkpoint-${step}` : '',
      model_path: type === 'job_complete' ? job.outputName : '',
      training_offset: 0,
      hash: '',
    };
  }

  checkpoints(job: FakeFineTune): Record<string, unknown>[] {
    return this.events(job)
      .filter((e) => e.type === 'checkpoint_save')
      .map((e) => ({
        step: e.step,
        created_at: e.created_at,
        path: e.checkpoint_path,
        checkpoint_type: e.step === job.epochs * STEPS_PER_EPOCH ? 'final' : 'intermediate',
      }));
  }

  /** The completed job that produced `model`, if any (its output can be used in chat). */
  trainedModel(model: unknown): FakeFineTune | undefined {
    for (const job of this.jobs.values()) if (job.outputName === model && this.status(job) === 'completed') return job;
    return undefined;
  }
}
