import type { ImageModelV1, ImageOptionsV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { WRAPPED } from './model-runtime.js';
import type { ChainLink } from './run-call.js';

/** An adapter (a LoRA) by id or URL, with its scale (default 1). */
export type Adapter = NonNullable<ImageOptionsV1['adapters']>[number];

/**
 * `model` with `adapters` applied on every call, before the call's own: a trained LoRA as a model
 * of its own, for any provider whose FLUX models take LoRAs by URL (Together's `image_loras`,
 * fal's `loras`). Such models can go in a `withFallback` chain: one LoRA served by two services.
 */
export function withAdapters(model: ImageModelV1, adapters: readonly Adapter[]): ImageModelV1 {
  const problems: string[] = [];
  if (typeof model !== 'object' || model === null || model.capability !== 'text-to-image' || typeof model.transform !== 'function') {
    problems.push('expected a text-to-image model (from provider.getModel(id, { capability: "text-to-image" }))');
  }
  if (!Array.isArray(adapters) || adapters.length === 0) problems.push('give at least one adapter: [{ path: "<LoRA URL or id>", scale?: number }]');
  for (const [i, adapter] of (Array.isArray(adapters) ? adapters : []).entries()) {
    if (typeof adapter?.path !== 'string' || adapter.path.trim() === '') problems.push(`adapter ${i}: path must be the LoRA's URL or id`);
    if (adapter?.scale !== undefined && !(typeof adapter.scale === 'number' && Number.isFinite(adapter.scale))) problems.push(`adapter ${i}: scale must be a number`);
  }
  if (problems.length > 0) throw mcError('INVALID_OPTIONS', `withAdapters: ${problems.join('; ')}`);
  const fixed = adapters.map((a) => ({ path: a.path, scale: a.scale ?? 1 }));
  const merged = (options: ImageOptionsV1 | undefined): ImageOptionsV1 => ({ ...options, adapters: [...fixed, ...(options?.adapters ?? [])] });
  // A model the registry handed out is already counted, logged and retried by its runtime: the
  // result keeps that identity (so a fallback chain does not count its calls twice) and passes on
  // the chain's link, the runtime's third argument. The link hands the rest of the chain the
  // caller's options, not these adapters (another service's model may take none, or others).
  type Call = (input: unknown, options: ImageOptionsV1, link?: ChainLink) => Promise<never>;
  const call = (method: 'transform' | 'transformMany') => (input: unknown, options?: ImageOptionsV1, link?: ChainLink) => {
    const rescue = link?.rescue;
    const own = rescue
      ? { ...link, rescue: (error: unknown, i: unknown, _o: unknown, started: number, time: string | undefined) => rescue(error, i, options, started, time) }
      : link;
    return (model[method] as unknown as Call).call(model, input, merged(options), own);
  };
  const result = {
    specificationVersion: 'v1',
    capability: 'text-to-image',
    id: model.id,
    info: { ...model.info, displayName: `${model.info.displayName ?? model.id} with ${fixed.length === 1 ? 'a LoRA' : `${fixed.length} LoRAs`}` },
    transform: call('transform'),
    transformMany: call('transformMany'),
  } as ImageModelV1 & { [WRAPPED]?: unknown };
  const identity = (model as { [WRAPPED]?: unknown })[WRAPPED];
  if (identity !== undefined) result[WRAPPED] = identity;
  return result;
}
