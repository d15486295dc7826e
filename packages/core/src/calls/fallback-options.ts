import type { Capability, ErrorCode, MediaConduitError, ModelV1, RetryOptionsV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import type { CooldownOptions } from './circuit-breaker.js';

// What `withFallback` checks at once, when a chain is made: its entries and options. The calls
// themselves run in the lazily loaded call engine (with-fallback.ts).

/** A model named by the provider that serves it: `{ provider: 'github:acme/together@v1', model: 'black-forest-labs/FLUX.1-schnell' }`. */
export interface ModelRef {
  /** A provider specifier, loaded with `registry.getProvider`. */
  provider: string;
  /** The model id, as `getModel` takes it. */
  model: string;
  /** The provider's `config`, as `getProvider` takes it. */
  config?: Readonly<Record<string, unknown>>;
}

/** Options of `withFallback`. */
export interface FallbackOptions {
  /** The capability of the chain; needed when every entry is a {@link ModelRef}. */
  capability?: Capability;
  /**
   * Which failures move on to the next model: a list of error codes, or a predicate. Default:
   * every failure except those that would fail anywhere (`INVALID_INPUT`, `INVALID_OPTIONS`,
   * `CONTENT_REFUSED`, `ABORTED`). Add `CONTENT_REFUSED` to let another model try a refused prompt.
   */
  fallbackOn?: readonly ErrorCode[] | ((error: MediaConduitError) => boolean);
  /** Per-model circuit breaker; `false` turns it off. Default: 1 failed call opens it for 30 s. */
  cooldown?: CooldownOptions | false;
  /** A name for the chain in its model id and records. Default `fallback`. */
  name?: string;
  /** Retry policy of each model of the chain; per-call `retry` options go over it. */
  retry?: RetryOptionsV1 | false;
}

/** The call methods of a model of each capability. */
export const METHODS: Record<Capability, readonly string[]> = {
  'text-to-text': ['transform', 'stream'],
  'text-to-image': ['transform', 'transformMany'],
  'text-to-audio': ['transform'],
  'audio-to-text': ['transform'],
  'text-to-embedding': ['transform', 'transformMany'],
};

/** Whether a chain entry is a `{ provider, model }` reference (rather than a model). */
export function isRef(item: ModelV1 | ModelRef): item is ModelRef {
  return typeof (item as ModelRef).provider === 'string' && typeof (item as ModelRef).model === 'string';
}

/** The chain's capability; `INVALID_OPTIONS` listing every problem with `chain` and `options`. */
export function chainCapability(chain: readonly (ModelV1 | ModelRef)[], options: FallbackOptions): Capability {
  const problems: string[] = [];
  if (!Array.isArray(chain) || chain.length === 0) problems.push('give at least one model or { provider, model } reference');
  const models = (Array.isArray(chain) ? chain : []).filter((item): item is ModelV1 => !isRef(item));
  for (const [i, item] of (Array.isArray(chain) ? chain : []).entries()) {
    if (!isRef(item) && (typeof item !== 'object' || item === null || typeof (item as ModelV1).capability !== 'string'))
      problems.push(`entry ${i}: expected a model (from provider.getModel) or { provider, model }, got ${JSON.stringify(item)}`);
  }
  const capability = options.capability ?? models[0]?.capability;
  if (!capability) problems.push('every entry is a { provider, model } reference, so pass { capability } to say which capability the chain serves');
  for (const model of models) if (capability && model.capability !== capability) problems.push(`${model.id} is a ${model.capability} model, but the chain serves ${capability}`);
  if (problems.length > 0) throw mcError('INVALID_OPTIONS', `withFallback: ${problems.join('; ')}`, { details: { problems } });
  return capability!;
}
