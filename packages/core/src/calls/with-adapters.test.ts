import { Image, type ImageModelV1, type ImageOptionsV1, MediaConduitError, encodePng } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { createModelRuntime } from './model-runtime.js';
import { withAdapters } from './with-adapters.js';

/** An image model that records the options of each call, and fails while `failing` is set. */
function recordingModel(id: string, provider: string, seen: ImageOptionsV1[], failing = { now: false }): ImageModelV1 {
  const picture = encodePng(2, 2, new Uint8Array(12));
  return {
    specificationVersion: 'v1',
    capability: 'text-to-image',
    id,
    info: { id, providerId: provider, capability: 'text-to-image', pricing: { perImage: 0.01 } },
    async transform(_input, options = {}) {
      seen.push(options);
      if (failing.now) throw new MediaConduitError({ code: 'PROVIDER_ERROR', message: `${id} is down`, retryable: true });
      return new Image(picture, { provider, model: id });
    },
    async transformMany(input, options) {
      return [await this.transform(input, options)];
    },
  };
}

describe('withAdapters', () => {
  it('applies its adapters before the call’s own, on every call', async () => {
    const seen: ImageOptionsV1[] = [];
    const model = withAdapters(recordingModel('flux', 'a', seen), [{ path: 'https://loras.example/one.safetensors' }]);
    await model.transform('x', { adapters: [{ path: 'two', scale: 0.5 }], seed: 3 });
    await model.transformMany('y');
    expect(seen).toEqual([
      {
        seed: 3,
        adapters: [
          { path: 'https://loras.example/one.safetensors', scale: 1 },
          { path: 'two', scale: 0.5 },
        ],
      },
      { adapters: [{ path: 'https://loras.example/one.safetensors', scale: 1 }] },
    ]);
    expect(model.info.displayName).toBe('flux with a LoRA');
  });

  it('refuses what is not a text-to-image model or not adapters, naming each problem', () => {
    const model = recordingModel('flux', 'a', []);
    expect(() => withAdapters({ ...model, capability: 'text-to-text' } as unknown as ImageModelV1, [])).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/expected a text-to-image model.*give at least one adapter/) }),
    );
    expect(() => withAdapters(model, [{ path: '', scale: Number.NaN }])).toThrowError(/adapter 0: path must be .*adapter 0: scale must be a number/);
  });

  it('in a fallback chain of runtime models: each call counted once, and the next model gets the caller’s options, not the adapters', async () => {
    const runtime = createModelRuntime({ retry: false });
    const first: ImageOptionsV1[] = [];
    const second: ImageOptionsV1[] = [];
    const failing = { now: false };
    const primary = withAdapters(runtime.wrapModel(recordingModel('flux-dev', 'together', first, failing)), [{ path: 'lora.safetensors' }]);
    const backup = runtime.wrapModel(recordingModel('flux-lora', 'fal', second));
    const chain = runtime.withFallback([primary, backup]);
    expect((await chain.transform('a cat', { seed: 1 })).metadata.provider).toBe('together');
    failing.now = true;
    expect((await chain.transform('a cat', { seed: 2 })).metadata.provider).toBe('fal');
    expect(first.map((o) => o.adapters)).toEqual([[{ path: 'lora.safetensors', scale: 1 }], [{ path: 'lora.safetensors', scale: 1 }]]);
    expect(second).toEqual([{ seed: 2 }]);
    expect(runtime.usage().byModel).toMatchObject({ 'together/flux-dev': { calls: 2, failures: 1 }, 'fal/flux-lora': { calls: 1, failures: 0 } });
  });
});
