import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isFinalTrainingStatus, TRAINING_STATUSES, type TrainingJobInfoV1 } from '@mediaconduit/provider';
import { atomicWriteFile } from '../util/atomic-write.js';
import { mcError } from '../util/errors.js';
import { fileSystemError } from '../util/file-system-error.js';
import { hashName } from '../util/hash.js';

/** A training job as the registry recorded it: enough for a new process to find and follow it. */
export interface StoredTrainingJob {
  /** The specifier the provider was loaded from (credentials never included). */
  specifier: string;
  /** The provider's manifest id. */
  providerId: string;
  /** The provider settings it was loaded with, without secrets (keys, tokens, passwords, headers, env). */
  config: Readonly<Record<string, unknown>>;
  /** The job's state when it was last read. */
  job: TrainingJobInfoV1;
  /** ISO-8601 time of the last write. */
  recordedAt: string;
  /** Sample images made with the trained model (`watchTrainingJobs({ samplePrompts })`). */
  samples?: readonly TrainingSample[];
}

/** A sample image made with a trained model, or why it could not be made. */
export interface TrainingSample {
  /** The prompt as sent (`{trigger}` replaced by the trigger word). */
  prompt: string;
  /** Where the image was saved; absent when it failed. */
  path?: string;
  /** Why it failed (the last attempt's error). */
  error?: string;
  /** Attempts made so far. */
  attempts?: number;
  /** The last failure may pass: a watcher tries again (at most 3 attempts in all). */
  retryable?: boolean;
  /** ISO-8601 time. */
  createdAt: string;
}

interface StoredFile extends StoredTrainingJob {
  format: 'mediaconduit-training-job@1';
}

const SECRET_KEY = /key|token|secret|password|auth|credential|headers|^env$/i;

/** `config` without the settings that may hold secrets. */
export function publicConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([key, value]) => !SECRET_KEY.test(key) && (typeof value !== 'object' || value === null || Array.isArray(value))));
}

/**
 * Training jobs on disk: one JSON file per job, each written whole (temporary file, fsync, rename),
 * so a crash mid-write leaves the previous state of that job and never touches the others. A
 * write never moves a job backwards from what it reads on disk: a final state, or a newer
 * `updatedAt`, stays (two processes writing one job at the same instant race; the later rename wins).
 */
export class TrainingJobStore {
  constructor(readonly dir: string) {}

  /** The file that records job `id` of `specifier`. */
  recordPath(specifier: string, id: string): string {
    return join(this.dir, `${hashName(`${specifier}\0${id}`)}.json`);
  }

  /** Fails with `FILE_SYSTEM_ERROR` now, before a job is started, when the store cannot be written. */
  async assertWritable(): Promise<void> {
    const probe = join(this.dir, `.probe-${process.pid}-${Date.now().toString(36)}`);
    try {
      await atomicWriteFile(probe, '', { durable: true });
      await rm(probe, { force: true });
    } catch (error) {
      throw fileSystemError(`training job store ${this.dir} (set trainingDir or MEDIACONDUIT_TRAINING_DIR to move it)`, error);
    }
  }

  /**
   * Records `job`, merged over what the store holds: an update never drops a field it lacks (the
   * training files and parameters known when the job was created stay when another process reads
   * it with less), and never moves a job backwards (a final state is final: a job recorded as
   * cancelled stays cancelled whatever a provider says later). Returns the state kept.
   */
  async put(origin: Omit<StoredTrainingJob, 'job' | 'recordedAt'>, job: TrainingJobInfoV1): Promise<StoredTrainingJob> {
    const path = this.recordPath(origin.specifier, job.id);
    const existing = await this.read(path).catch(() => undefined);
    if (existing && !isNewer(job, existing.job)) return existing;
    const merged = existing ? mergeJob(existing.job, job) : job;
    if (existing && JSON.stringify(existing.job) === JSON.stringify(merged)) return existing;
    const record: StoredFile = {
      format: 'mediaconduit-training-job@1',
      ...origin,
      config: { ...existing?.config, ...origin.config },
      job: merged,
      recordedAt: new Date().toISOString(),
      ...(existing?.samples ? { samples: existing.samples } : {}),
    };
    await this.write(path, record);
    return strip(record);
  }

  /** The record of one job, or undefined when there is none (or it cannot be read). */
  async get(specifier: string, id: string): Promise<StoredTrainingJob | undefined> {
    return this.read(this.recordPath(specifier, id)).catch(() => undefined);
  }

  /** Adds samples to a recorded job (a sample for a prompt already recorded replaces it). */
  async addSamples(specifier: string, id: string, samples: readonly TrainingSample[]): Promise<StoredTrainingJob> {
    const path = this.recordPath(specifier, id);
    let existing: StoredTrainingJob;
    try {
      existing = await this.read(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw mcError(
          'INVALID_INPUT',
          `training job store: job ${id} of ${specifier} is no longer recorded in ${this.dir} (its record was removed); its samples were not recorded`,
        );
      }
      throw fileSystemError(`training job store: read job ${id}`, error);
    }
    const kept = (existing.samples ?? []).filter((s) => !samples.some((n) => n.prompt === s.prompt));
    const record: StoredFile = { format: 'mediaconduit-training-job@1', ...existing, samples: [...kept, ...samples], recordedAt: new Date().toISOString() };
    await this.write(path, record);
    return strip(record);
  }

  /** A folder of its own for files made for the job (`specifier` and `id` name it). */
  filesDir(specifier: string, id: string): string {
    return join(this.dir, 'files', hashName(`${specifier}\0${id}`));
  }

  private async write(path: string, record: StoredFile): Promise<void> {
    try {
      await atomicWriteFile(path, `${JSON.stringify(record, null, 2)}\n`, { durable: true });
    } catch (error) {
      throw fileSystemError(`training job store: record job ${record.job.id}`, error);
    }
  }

  /** Every recorded job, newest first. Unreadable files are reported through `onProblem` and skipped. */
  async list(onProblem: (path: string, problem: string) => void = () => {}): Promise<StoredTrainingJob[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fileSystemError(`training job store ${this.dir}`, error);
    }
    const jobs: StoredTrainingJob[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue; // temporary files of unfinished writes
      const path = join(this.dir, name);
      try {
        jobs.push(await this.read(path));
      } catch (error) {
        onProblem(path, (error as Error).message);
      }
    }
    return jobs.sort((a, b) => b.job.createdAt.localeCompare(a.job.createdAt));
  }

  private async read(path: string): Promise<StoredTrainingJob> {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<StoredFile>;
    if (parsed?.format !== 'mediaconduit-training-job@1' || typeof parsed.specifier !== 'string') {
      throw mcError('INVALID_INPUT', `${path} is not a MediaConduit training job record`);
    }
    const missing = missingFields(parsed);
    if (missing.length > 0) throw mcError('INVALID_INPUT', `${path} is a training job record without ${missing.join(', ')} (written by hand, or damaged)`);
    return strip(parsed as StoredFile);
  }
}

function strip({ format: _format, ...record }: StoredFile): StoredTrainingJob {
  return record;
}

/** Whether `next` may replace `previous`: never once `previous` is final; else when it is not older, or final. */
function isNewer(next: TrainingJobInfoV1, previous: TrainingJobInfoV1): boolean {
  if (isFinalTrainingStatus(previous.status)) return false;
  return next.updatedAt >= previous.updatedAt || isFinalTrainingStatus(next.status);
}

/** `next` over `previous`, keeping what `next` lacks: parameters merge, empty lists keep the known ones. */
function mergeJob(previous: TrainingJobInfoV1, next: TrainingJobInfoV1): TrainingJobInfoV1 {
  const merged: TrainingJobInfoV1 = { ...previous };
  for (const [key, value] of Object.entries(next) as [keyof TrainingJobInfoV1, unknown][]) {
    // When a job was created never changes (a process that did not start it may not know it).
    if (key === 'createdAt') continue;
    if (value === undefined || (Array.isArray(value) && value.length === 0 && Array.isArray(previous[key]))) continue;
    (merged as unknown as Record<string, unknown>)[key] = value;
  }
  merged.parameters = { ...previous.parameters, ...definedOnly(next.parameters) };
  return merged;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The fields of a job record that are missing or not of their type. */
function missingFields(record: Partial<StoredFile>): string[] {
  const job = (typeof record.job === 'object' && record.job !== null ? record.job : {}) as Partial<TrainingJobInfoV1>;
  const checks: [string, boolean][] = [
    ['job.id', typeof job.id === 'string'],
    ['job.status', typeof job.status === 'string' && (TRAINING_STATUSES as readonly string[]).includes(job.status)],
    ['job.createdAt', typeof job.createdAt === 'string'],
    ['job.updatedAt', typeof job.updatedAt === 'string'],
    ['job.providerId', typeof job.providerId === 'string'],
    ['providerId', typeof record.providerId === 'string'],
  ];
  return checks.filter(([, ok]) => !ok).map(([name]) => name);
}
