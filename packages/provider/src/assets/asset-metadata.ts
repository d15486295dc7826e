import type { UsageV1 } from './usage-v1.js';

/** Where an asset came from and what it cost. */
export interface AssetMetadata {
  /** Provider id. */
  provider?: string;
  /** Model id. */
  model?: string;
  /** Wall time of the call that produced it, in milliseconds. */
  latencyMs?: number;
  /** What the call consumed. */
  usage?: UsageV1;
  /** What the call cost in US dollars, from the model's published pricing (set by the host's runtime; absent when unpriced). */
  costUsd?: number;
  /** The provider's request id. */
  requestId?: string;
  /** Seed used, when known. */
  seed?: number;
  /** Why generation stopped (text). */
  finishReason?: string;
  /** When the asset was created (ISO 8601). */
  createdAt: string;
  /**
   * Set by the host when a fallback chain served this asset after moving past other models: the
   * chain's name and each model it tried or skipped, with why (an error code, or `COOLING_DOWN`).
   * A model skipped for missing configuration (`MISSING_API_KEY`, `MISSING_CONFIGURATION`) shows here.
   */
  fallback?: { chain: string; steps: readonly { provider: string; model: string; outcome: string }[] };
}

/** A copy of `metadata` with `createdAt` filled in (a given `createdAt` wins). */
export function withCreatedAt(metadata: Partial<AssetMetadata> | undefined): AssetMetadata {
  return Object.assign({ createdAt: isoNow() }, metadata);
}

// Assets are made on hot paths; formatting the time once per millisecond is plenty.
let lastMs = -1;
let lastIso = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
