import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isFinalTrainingStatus, type TrainingJobInfoV1 } from '@mediaconduit/provider';
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

  private file(specifier: string, id: string): string {
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

  /** Records `job`, unless the store already holds a later state of it; returns the state kept. */
  async put(origin: Omit<StoredTrainingJob, 'job' | 'recordedAt'>, job: TrainingJobInfoV1): Promise<StoredTrainingJob> {
    const path = this.file(origin.specifier, job.id);
    const existing = await this.read(path).catch(() => undefined);
    if (existing && (!isNewer(job, existing.job) || JSON.stringify(existing.job) === JSON.stringify(job))) return existing;
    const record: StoredFile = { format: 'mediaconduit-training-job@1', ...origin, job, recordedAt: new Date().toISOString() };
    try {
      await atomicWriteFile(path, `${JSON.stringify(record, null, 2)}\n`, { durable: true });
    } catch (error) {
      throw fileSystemError(`training job store: record job ${job.id}`, error);
    }
    return strip(record);
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
    if (parsed.format !== 'mediaconduit-training-job@1' || typeof parsed.job?.id !== 'string' || typeof parsed.specifier !== 'string') {
      throw mcError('INVALID_INPUT', `${path} is not a MediaConduit training job record`);
    }
    return strip(parsed as StoredFile);
  }
}

function strip({ format: _format, ...record }: StoredFile): StoredTrainingJob {
  return record;
}

/** Whether `next` is a later state than `previous` (final states are never replaced by others). */
function isNewer(next: TrainingJobInfoV1, previous: TrainingJobInfoV1): boolean {
  if (isFinalTrainingStatus(previous.status)) return isFinalTrainingStatus(next.status) && next.updatedAt > previous.updatedAt;
  return next.updatedAt >= previous.updatedAt || isFinalTrainingStatus(next.status);
}
