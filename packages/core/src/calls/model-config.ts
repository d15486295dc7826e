import { ERROR_CODES, isCapability, type Capability, type ErrorCode, type RetryOptionsV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import type { CooldownOptions } from './circuit-breaker.js';
import { retryOptionsProblems } from './retry-policy.js';
import type { FallbackOptions, ModelRef } from './fallback-options.js';

/** One layer of a model configuration; an environment's layer goes over `defaults` field by field. */
export interface ModelConfigLayer {
  /** The models to try, in order. */
  chain?: readonly ModelRef[];
  /** Retry policy of each model of the chain (per-call `retry` options go over it). */
  retry?: RetryOptionsV1 | false;
  /** Which failures move on to the next model (see `withFallback`). */
  fallbackOn?: readonly ErrorCode[];
  /** The per-model circuit breaker; `false` turns it off. */
  cooldown?: CooldownOptions | false;
}

/**
 * Which models serve a capability in each environment, as layers: `defaults`, then the layer of
 * the environment in effect. For example development on the mock provider, staging on one Together
 * model, production on Together FLUX falling back to the mock with 2 retries at a 1000 ms base.
 */
export interface LayeredModelConfig<C extends Capability = Capability> {
  capability: C;
  /** A name for the chain in records (default: the capability). */
  name?: string;
  defaults?: ModelConfigLayer;
  environments: Readonly<Record<string, ModelConfigLayer>>;
}

const LAYER_KEYS = new Set(['chain', 'retry', 'fallbackOn', 'cooldown']);

/**
 * The chain and options of `environment` under `config`, with every problem of the config reported
 * at once (`INVALID_OPTIONS`), including an environment the config does not name.
 */
export function resolveModelConfig<C extends Capability>(
  config: LayeredModelConfig<C>,
  environment: string,
): { chain: readonly ModelRef[]; options: Omit<FallbackOptions, 'capability'> } {
  const problems: string[] = [];
  if (typeof config !== 'object' || config === null) throw mcError('INVALID_OPTIONS', 'model config: expected an object with capability and environments');
  if (!isCapability(config.capability))
    problems.push(`capability: expected one of text-to-text, text-to-image, text-to-audio, audio-to-text, text-to-embedding, got ${JSON.stringify(config.capability)}`);
  if (typeof config.environments !== 'object' || config.environments === null)
    problems.push('environments: expected an object such as { development: { chain: [...] }, production: { ... } }');
  const layers: [string, unknown][] = [
    ['defaults', config.defaults ?? {}],
    ...Object.entries(config.environments ?? {}).map(([name, layer]) => [`environments.${name}`, layer] as [string, unknown]),
  ];
  for (const [where, layer] of layers) problems.push(...layerProblems(layer, where));
  const chosen = config.environments?.[environment];
  if (config.environments && !chosen)
    problems.push(
      `environments: no layer for environment "${environment}"; add one, or choose one of ${Object.keys(config.environments).join(', ') || '(none)'} with MEDIACONDUIT_ENV`,
    );
  const merged: ModelConfigLayer = { ...config.defaults, ...chosen };
  if (problems.length === 0 && !merged.chain?.length) problems.push(`environments.${environment}: no chain; give chain: [{ provider, model }, …] here or under defaults`);
  if (problems.length > 0)
    throw mcError('INVALID_OPTIONS', `model config${config.name ? ` ${config.name}` : ''}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { details: { problems } });
  return {
    chain: merged.chain!,
    options: {
      ...(merged.retry === undefined ? {} : { retry: merged.retry }),
      ...(merged.fallbackOn === undefined ? {} : { fallbackOn: merged.fallbackOn }),
      ...(merged.cooldown === undefined ? {} : { cooldown: merged.cooldown }),
    },
  };
}

function layerProblems(layer: unknown, where: string): string[] {
  if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) return [`${where}: expected an object with chain, retry, fallbackOn or cooldown`];
  const problems: string[] = [];
  const l = layer as Record<string, unknown>;
  for (const key of Object.keys(l)) if (!LAYER_KEYS.has(key)) problems.push(`${where}.${key}: unknown field; expected one of ${[...LAYER_KEYS].join(', ')}`);
  if (l.chain !== undefined) {
    if (!Array.isArray(l.chain)) problems.push(`${where}.chain: expected an array of { provider, model }`);
    else
      l.chain.forEach((ref, i) => {
        const r = ref as Record<string, unknown> | null;
        if (typeof r?.provider !== 'string' || r.provider === '' || typeof r.model !== 'string' || r.model === '')
          problems.push(`${where}.chain.${i}: expected { provider: '<specifier>', model: '<model id>' }, got ${JSON.stringify(ref)}`);
      });
  }
  problems.push(...retryOptionsProblems(l.retry, `${where}.retry`));
  if (l.fallbackOn !== undefined && !(Array.isArray(l.fallbackOn) && l.fallbackOn.every((c) => (ERROR_CODES as readonly string[]).includes(c))))
    problems.push(`${where}.fallbackOn: expected an array of error codes such as ["RATE_LIMITED", "PROVIDER_ERROR"], got ${JSON.stringify(l.fallbackOn)}`);
  if (l.cooldown !== undefined && l.cooldown !== false) {
    const c = l.cooldown as Record<string, unknown> | null;
    const bad = (v: unknown, min: number) => v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= min);
    if (typeof c !== 'object' || c === null || bad(c.cooldownMs, 0) || bad(c.afterFailures, 1))
      problems.push(`${where}.cooldown: expected false or { afterFailures: ≥ 1, cooldownMs: ≥ 0 }, got ${JSON.stringify(l.cooldown)}`);
  }
  return problems;
}
