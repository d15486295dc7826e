import { Image, MediaConduitError, encodePng, type ImageInputV1, type ImageModelV1, type ImageOptionsV1, type ModelInfoV1 } from '@mediaconduit/provider';
import { mockCall, type MockRuntime } from './call-context.js';
import type { MockLora } from './training.js';

import { hashString, seededRandom } from './random.js';

const MAX_SIDE = 4096;

function size(options: ImageOptionsV1 | undefined): { width: number; height: number } {
  const width = options?.width ?? 512,
    height = options?.height ?? 512;
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
      throw new MediaConduitError({ code: 'INVALID_INPUT', message: `mock image: ${name} must be a whole number from 1 to ${MAX_SIDE}, got ${value}` });
    }
  }
  if (options?.format && options.format !== 'png') {
    throw new MediaConduitError({
      code: 'INVALID_INPUT',
      message: `mock image: format "${options.format}" is not supported; the mock only writes PNG (omit format or pass "png")`,
    });
  }
  return { width, height };
}

/** Whether `prompt` holds `word` as a whole word (any case). */
function mentions(prompt: string, word: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_])${word}([^A-Za-z0-9_]|$)`, 'i').test(prompt);
}

/**
 * Paints a picture that depends only on prompt, seed, size and style. A LoRA whose trigger word is
 * in the prompt washes the picture in its learnt colour and draws a diagonal weave over it.
 */
function paint(style: string, prompt: string, seed: number, width: number, height: number, loras: readonly { lora: MockLora; scale: number }[]): Uint8Array {
  const random = seededRandom(hashString(prompt, seed));
  const colour = () => [random() * 255, random() * 255, random() * 255] as const;
  const [from, to, sun] = [colour(), colour(), colour()];
  const cx = random() * width,
    cy = random() * height * 0.6,
    radius = (0.08 + random() * 0.15) * Math.min(width, height);
  const stripes = 4 + Math.floor(random() * 12);
  const ground = colour();
  // A mountain ridge: a few sines of seeded frequency and phase.
  const waves = Array.from({ length: 3 }, (_, i) => ({ f: (1 + random() * 3) * (i + 1), p: random() * Math.PI * 2, a: 0.12 / (i + 1) }));
  const ridge = Float32Array.from({ length: width }, (_, x) => height * (0.62 - waves.reduce((sum, w) => sum + w.a * Math.sin((x / width) * w.f * Math.PI + w.p), 0)));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = style === 'mock/stripes-1' ? Math.floor(((x + y) / (width + height)) * stripes) % 2 : (x / width + y / height) / 2;
      const inSun = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
      const shade = style === 'mock/gradient-1' && y > ridge[x]! ? 0.35 + 0.4 * ((y - ridge[x]!) / height) : undefined;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) rgb[o + c] = shade !== undefined ? ground[c]! * shade : inSun ? sun[c]! : from[c]! + (to[c]! - from[c]!) * t;
    }
  }
  for (const { lora, scale } of loras) {
    if (!mentions(prompt, lora.triggerWord)) continue;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        const weave = Math.min(1, Math.max(0, scale)) * (((x + y) >> 3) % 2 === 0 || ((x - y + height) >> 3) % 4 === 0 ? 0.6 : 0.35);
        for (let c = 0; c < 3; c++) rgb[o + c] = rgb[o + c]! * (1 - weave) + lora.rgb[c]! * weave;
      }
    }
  }
  return encodePng(width, height, rgb);
}

/**
 * A deterministic image model writing real PNG files of the requested size. A trained model
 * (`lora`) paints like its base model (`style`), plus what it learnt when the prompt calls it up.
 * `adapters` name the mock's own LoRAs (`mock-lora/<job id>`), applied at their scale; `adapterOf`
 * finds one, and refuses any other path.
 */
export function createImageModel(
  info: ModelInfoV1,
  runtime: MockRuntime,
  trained: { lora: MockLora; baseModel: string } | undefined,
  adapterOf: (path: string) => MockLora,
): ImageModelV1 {
  const one = (input: ImageInputV1, options: ImageOptionsV1 | undefined, index: number, adapters: readonly { lora: MockLora; scale: number }[]) => {
    const prompt = typeof input === 'string' ? input : input.prompt;
    const { width, height } = size(options);
    const seed = (options?.seed ?? runtime.seed) + index;
    const loras = [...(trained ? [{ lora: trained.lora, scale: 1 }] : []), ...adapters];
    return { bytes: paint(trained?.baseModel ?? info.id, prompt, seed, width, height, loras), seed };
  };
  const model: ImageModelV1 = {
    specificationVersion: 'v1',
    capability: 'text-to-image',
    id: info.id,
    info,
    transform: async (input, options) => (await model.transformMany(input, { ...options, n: 1 }))[0]!,
    transformMany: (input, options) =>
      mockCall(runtime, info.id, options?.signal, (meta) => {
        const n = options?.n ?? 1;
        if (!Number.isInteger(n) || n < 1 || n > 8) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `mock image: n must be 1 to 8, got ${n}` });
        const adapters = (options?.adapters ?? []).map((a) => ({ lora: adapterOf(a.path), scale: a.scale ?? 1 }));
        return Array.from({ length: n }, (_, i) => {
          const { bytes, seed } = one(input, options, i, adapters);
          return new Image(bytes, meta({ images: 1 }, { seed }));
        });
      }),
  };
  return model;
}
