import type { AssetMetadata, UsageV1 } from '@mediaconduit/provider';

/** Metadata for an asset made by a Together call that started at `started` (performance.now()). */
export function provenance(
  model: string,
  started: number,
  extra: { usage?: UsageV1 | undefined; requestId?: string | undefined; seed?: number | undefined; finishReason?: string | undefined } = {},
): Partial<AssetMetadata> {
  const meta: Partial<AssetMetadata> = { provider: 'together', model, latencyMs: performance.now() - started };
  if (extra.usage) meta.usage = extra.usage;
  if (extra.requestId) meta.requestId = extra.requestId;
  if (extra.seed !== undefined) meta.seed = extra.seed;
  if (extra.finishReason) meta.finishReason = extra.finishReason;
  return meta;
}
