import type { AssetMetadata, UsageV1 } from '@mediaconduit/provider';
import type { Faults } from './faults.js';
import { PROVIDER_ID } from './provider-info.js';

/** What every model of the mock shares: fault injection and the default seed. */
export interface MockRuntime {
  faults: Faults;
  seed: number;
}

/** Runs `work` after injected latency/failures and returns its result with provenance metadata. */
export async function mockCall<T>(
  runtime: MockRuntime,
  modelId: string,
  signal: AbortSignal | undefined,
  work: (meta: (usage?: UsageV1, extra?: Partial<AssetMetadata>) => Partial<AssetMetadata>) => T | Promise<T>,
): Promise<T> {
  const started = performance.now();
  await runtime.faults.before(modelId, signal);
  return work((usage, extra) => ({
    provider: PROVIDER_ID,
    model: modelId,
    latencyMs: performance.now() - started,
    requestId: `mock-${Date.now().toString(36)}`,
    ...(usage ? { usage } : {}),
    ...extra,
  }));
}
