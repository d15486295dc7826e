import { describe, expect, it } from 'vitest';
import { resolveModelConfig, type LayeredModelConfig } from './model-config.js';

const TOGETHER = 'github:acme/together-provider@v1.0.0';
const MOCK = 'github:acme/mock-provider@v1.0.0';
// The image-agent report's three layers.
const config: LayeredModelConfig<'text-to-image'> = {
  capability: 'text-to-image',
  defaults: { cooldown: { cooldownMs: 10_000 } },
  environments: {
    development: { chain: [{ provider: MOCK, model: 'mock/gradient-1' }] },
    staging: { chain: [{ provider: TOGETHER, model: 'black-forest-labs/FLUX.1-schnell' }] },
    production: {
      chain: [
        { provider: TOGETHER, model: 'black-forest-labs/FLUX.1-schnell' },
        { provider: MOCK, model: 'mock/gradient-1' },
      ],
      retry: { maxRetries: 2, baseDelayMs: 1000 },
    },
  },
};

describe('resolveModelConfig', () => {
  it('gives each environment its layer over the defaults', () => {
    expect(resolveModelConfig(config, 'development')).toEqual({ chain: [{ provider: MOCK, model: 'mock/gradient-1' }], options: { cooldown: { cooldownMs: 10_000 } } });
    expect(resolveModelConfig(config, 'staging').chain).toEqual([{ provider: TOGETHER, model: 'black-forest-labs/FLUX.1-schnell' }]);
    expect(resolveModelConfig(config, 'production')).toEqual({
      chain: config.environments.production!.chain,
      options: { retry: { maxRetries: 2, baseDelayMs: 1000 }, cooldown: { cooldownMs: 10_000 } },
    });
  });

  it('reports every problem at once, including an environment the config does not name', () => {
    const bad = {
      capability: 'text-to-vid',
      defaults: { retry: { maxRetries: -1 }, colour: 'red' },
      environments: { production: { chain: [{ provider: TOGETHER }], fallbackOn: ['NOPE'], cooldown: { cooldownMs: -5 } } },
    } as unknown as LayeredModelConfig;
    let caught: { code?: string; details?: { problems: string[] } } = {};
    try {
      resolveModelConfig(bad, 'qa');
    } catch (error) {
      caught = error as typeof caught;
    }
    expect(caught.code).toBe('INVALID_OPTIONS');
    expect(caught.details?.problems).toEqual([
      expect.stringContaining('capability: expected one of'),
      expect.stringContaining('defaults.colour: unknown field'),
      expect.stringContaining('defaults.retry.maxRetries'),
      expect.stringContaining('environments.production.chain.0: expected { provider'),
      expect.stringContaining('environments.production.fallbackOn'),
      expect.stringContaining('environments.production.cooldown'),
      'environments: no layer for environment "qa"; add one, or choose one of production with MEDIACONDUIT_ENV',
    ]);
  });

  it('needs a chain somewhere', () => {
    expect(() => resolveModelConfig({ capability: 'text-to-text', environments: { development: {} } }, 'development')).toThrow(/development: no chain/);
  });
});
