import type { CallOptionsV1 } from './call-options-v1.js';
import type { Capability } from './capability.js';

/**
 * The one lifecycle every provider's training jobs map onto:
 * pending → queued → running → (compressing → uploading) → completed | failed | cancelled.
 * Each job also keeps the provider's own status string (`providerStatus`).
 */
export const TRAINING_STATUSES = ['pending', 'queued', 'running', 'compressing', 'uploading', 'completed', 'failed', 'cancelled'] as const;

/** One of {@link TRAINING_STATUSES}. */
export type TrainingStatusV1 = (typeof TRAINING_STATUSES)[number];

/** Whether a job in this status will never change again. */
export function isFinalTrainingStatus(status: TrainingStatusV1): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** Options of `createTrainingJob`. Omitted values take the provider's documented defaults. */
export interface TrainingOptionsV1 extends CallOptionsV1 {
  /** The model to train a LoRA of. Providers document their default, if they have one. */
  baseModel?: string;
  /** Training data: files, or folders whose files are all used (not recursively). */
  data: string | readonly string[];
  /** A word that calls up what was trained (image LoRAs: it goes in the prompt). */
  triggerWord?: string;
  /** Added to the trained model's name. */
  suffix?: string;
  /** Passes over the data. */
  epochs?: number;
  /** Step size of the optimiser. */
  learningRate?: number;
  /** Examples per step; `max` lets the provider choose the largest it can. */
  batchSize?: number | 'max';
  /** LoRA rank (`r`). */
  loraRank?: number;
  /** LoRA alpha (scaling). */
  loraAlpha?: number;
  /** Optimiser steps, for trainers counted in steps rather than epochs (fal's FLUX trainers). */
  steps?: number;
  /** Side in pixels the images are trained at (image LoRAs), where the trainer takes one. */
  resolution?: number;
  /** Image LoRAs: learn a style rather than a subject (no segmentation, no auto-captions). */
  isStyle?: boolean;
  /** Image LoRAs: weight the loss with segmentation masks (a face mask for people). */
  createMasks?: boolean;
  /**
   * Which of the provider's trainers runs the job, where it offers several (fal:
   * `fal-ai/flux-lora-fast-training`, the default, or `fal-ai/flux-lora-portrait-trainer`).
   */
  trainer?: string;
  /** Called for each warning about the data (for example, fewer images than recommended). */
  onWarning?: (message: string) => void;
}

/** How far a job has come, as far as the provider says. */
export interface TrainingProgressV1 {
  /** 0–100. */
  percent?: number;
  step?: number;
  totalSteps?: number;
  epoch?: number;
  totalEpochs?: number;
  /** The provider's estimate. */
  secondsRemaining?: number;
  /** Jobs ahead of this one in the provider's queue (0: next), while it is queued. */
  queuePosition?: number;
  /** The provider's latest progress line (a log message), when it gives no numbers. */
  message?: string;
}

/** A file a completed job produced (weights, a config), kept by the provider at `url`. */
export interface TrainingArtifactV1 {
  /** `weights` (what `adapters` take), `config`, or the provider's own kind. */
  kind: string;
  url: string;
  fileName?: string;
  bytes?: number;
  contentType?: string;
}

/** What a job is and where it stands. Plain data: it can be stored and read back. */
export interface TrainingJobInfoV1 {
  /** The provider's job id. */
  id: string;
  /** The provider that runs it. */
  providerId: string;
  status: TrainingStatusV1;
  /** The provider's own status string (`cancel_requested`, `error`, …). */
  providerStatus: string;
  baseModel: string;
  /** The trained model, usable with `getModel` once the job completed. */
  outputModel?: string;
  /** The capability of the trained model. */
  outputCapability?: Capability;
  /** ISO-8601 times. */
  createdAt: string;
  updatedAt: string;
  progress?: TrainingProgressV1;
  /** Why a failed job failed, in the provider's words. */
  error?: string;
  /**
   * What the job costs in US dollars, from the provider's prices (for a job that has not ended:
   * what it costs if it runs to its end). Absent when the provider gives no price for it.
   */
  costUsd?: number;
  /**
   * What the completed job produced. For an image LoRA, the `weights` URL can be passed as an
   * adapter (`{ adapters: [{ path: url }] }`) to any FLUX model that takes LoRAs by URL. Services
   * may keep these files for a limited time: copy what you need to keep.
   */
  artifacts?: readonly TrainingArtifactV1[];
  /** The uploaded training files (provider file ids or names). */
  trainingFiles: readonly string[];
  /** The parameters the job runs with, defaults filled in. */
  parameters: Readonly<{
    epochs?: number;
    learningRate?: number;
    batchSize?: number | 'max';
    loraRank?: number;
    loraAlpha?: number;
    triggerWord?: string;
    suffix?: string;
    steps?: number;
    resolution?: number;
    isStyle?: boolean;
    createMasks?: boolean;
    trainer?: string;
  }>;
  /** Warnings about the data, given when the job was created. */
  warnings?: readonly string[];
}

/** One entry of a job's event log. */
export interface TrainingEventV1 {
  /** ISO-8601 time. */
  at: string;
  /** The provider's event type (`training_start`, `epoch_complete`, …). */
  type: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  step?: number;
}

/** A saved intermediate (or final) state of a job's model. */
export interface TrainingCheckpointV1 {
  step: number;
  /** ISO-8601 time. */
  createdAt: string;
  /** Where the provider keeps it (a path, URL or model name). */
  path: string;
  /** The provider's kind (`intermediate`, `final`, …). */
  type: string;
}

/** Options of {@link TrainingJobV1.wait}. */
export interface TrainingWaitOptionsV1 {
  /** Called after each status read, with the job's latest state. */
  onProgress?: (info: TrainingJobInfoV1) => void;
  /** Stops waiting (with `ABORTED`); the job itself goes on — use `cancel()` to stop it. */
  signal?: AbortSignal;
  /** Time between status reads. Providers choose a default. */
  pollIntervalMs?: number;
}

/** A training job. */
export interface TrainingJobV1 {
  readonly id: string;
  /** The state last read (updated by `status()`, `wait()` and `cancel()`). */
  readonly info: TrainingJobInfoV1;
  /** Reads the job's state now. */
  status(options?: CallOptionsV1): Promise<TrainingJobInfoV1>;
  /** The job's event log, oldest first. */
  events(options?: CallOptionsV1): Promise<TrainingEventV1[]>;
  /** Saved checkpoints, when the provider keeps any. */
  checkpoints(options?: CallOptionsV1): Promise<TrainingCheckpointV1[]>;
  /**
   * Resolves when the job completed. Rejects with `TRAINING_FAILED` when it failed or was
   * cancelled, and with `ABORTED` when `signal` fires (the job goes on).
   */
  wait(options?: TrainingWaitOptionsV1): Promise<TrainingJobInfoV1>;
  /** Asks the provider to stop the job; resolves with its state after the request. */
  cancel(options?: CallOptionsV1): Promise<TrainingJobInfoV1>;
}

/** A training file kept by the provider. */
export interface TrainingFileV1 {
  id: string;
  name: string;
  bytes: number;
  /** ISO-8601 time. */
  createdAt: string;
  /** The provider's purpose string (`fine-tune`, …). */
  purpose: string;
}

/** Training files kept by a provider (for providers that upload data before a job). */
export interface TrainingFilesV1 {
  /** Checks one file (as `createTrainingJob` would) and uploads it. */
  upload(path: string, options?: CallOptionsV1): Promise<TrainingFileV1>;
  list(options?: CallOptionsV1): Promise<TrainingFileV1[]>;
  delete(id: string, options?: CallOptionsV1): Promise<void>;
}

/** What a provider offers when it trains models. Every member is optional on `MediaProviderV1`. */
export interface TrainingProviderV1 {
  /**
   * Checks the data (nothing is uploaded when a check fails), uploads it and starts a job.
   * Training the provider does not offer is `UNSUPPORTED`, with what it offers instead.
   */
  createTrainingJob(options: TrainingOptionsV1): Promise<TrainingJobV1>;
  /** The provider's jobs, newest first. */
  listTrainingJobs(options?: CallOptionsV1): Promise<TrainingJobInfoV1[]>;
  /** A handle on an existing job (for example, one started by another process). */
  getTrainingJob(id: string, options?: CallOptionsV1): Promise<TrainingJobV1>;
  /** Training files, for providers that keep them. */
  readonly trainingFiles?: TrainingFilesV1;
}
