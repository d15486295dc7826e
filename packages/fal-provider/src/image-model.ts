import { Image, type ImageModelV1, MediaConduitError, type ModelInfoV1, readImageInfo, wholeImageProblem } from '@mediaconduit/provider';
import type { FalClient } from './fal-client.js';

/** The endpoint that applies LoRAs: `adapters` go there. */
export const LORA_ENDPOINT = 'fal-ai/flux-lora';

interface FalImages {
  images?: { url?: unknown; width?: unknown; height?: unknown; content_type?: unknown }[];
  seed?: unknown;
}

/**
 * A fal text-to-image endpoint, called synchronously (`POST https://fal.run/<id>`): the images come
 * back as URLs, are downloaded without the key, and checked whole before they are handed back.
 * `adapters` (LoRAs by URL, with a scale) are sent as `loras`, on `fal-ai/flux-lora` only.
 */
export function createImageModel(info: ModelInfoV1, client: FalClient, defaultAdapters: readonly { path: string; scale?: number }[] = []): ImageModelV1 {
  const operation = `fal image ${info.id}`;
  const endpoint = info.id.startsWith(`${LORA_ENDPOINT}:`) ? LORA_ENDPOINT : info.id;
  const model: ImageModelV1 = {
    specificationVersion: 'v1',
    capability: 'text-to-image',
    id: info.id,
    info,
    transform: async (input, options) => (await model.transformMany(input, { ...options, n: 1 }))[0]!,
    async transformMany(input, options) {
      const prompt = typeof input === 'string' ? input : input?.prompt;
      if (typeof prompt !== 'string' || prompt.trim() === '') throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${operation}: the prompt is empty` });
      const n = options?.n ?? 1;
      if (!Number.isInteger(n) || n < 1 || n > 4)
        throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${operation}: n must be a whole number from 1 to 4 (fal's num_images), got ${n}` });
      // The call's adapters after the model's own; one LoRA given twice is applied once, at the call's scale.
      const adapters = [...new Map([...defaultAdapters, ...(options?.adapters ?? [])].map((a) => [a.path, a] as const)).values()];
      if (adapters.length > 0 && endpoint !== LORA_ENDPOINT) {
        throw new MediaConduitError({
          code: 'UNSUPPORTED',
          message: `${operation}: adapters (LoRAs) apply on ${LORA_ENDPOINT}; use getModel('${LORA_ENDPOINT}') with the same adapters`,
        });
      }
      if (options?.format === 'webp') throw new MediaConduitError({ code: 'UNSUPPORTED', message: `${operation}: fal's FLUX endpoints write JPEG or PNG, not WebP` });
      const body: Record<string, unknown> = { prompt, num_images: n, output_format: options?.format === 'png' ? 'png' : 'jpeg' };
      if (options?.width !== undefined || options?.height !== undefined) body.image_size = { width: options?.width ?? options?.height, height: options?.height ?? options?.width };
      if (options?.steps !== undefined) body.num_inference_steps = options.steps;
      if (options?.seed !== undefined) body.seed = options.seed;
      if (adapters.length > 0) body.loras = adapters.map((a) => ({ path: a.path, scale: a.scale ?? 1 }));
      const started = performance.now();
      const { body: answer, requestId } = await client.json<FalImages>('run', {
        method: 'POST',
        path: `/${endpoint}`,
        json: body,
        signal: options?.signal,
        headers: options?.headers,
        operation,
      });
      const images = answer.images ?? [];
      if (images.length === 0) throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${operation}: the answer holds no images` });
      const seed = typeof answer.seed === 'number' ? answer.seed : options?.seed;
      return Promise.all(
        images.map(async (item, i) => {
          if (typeof item.url !== 'string' || !/^https?:\/\//i.test(item.url)) {
            throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${operation}: image ${i} has no http(s) URL` });
          }
          const bytes = await client.download(item.url, `${operation}: download image ${i}`, options?.signal);
          // The whole image, checked before it is handed back (or counted and priced).
          const problem = wholeImageProblem(bytes);
          if (problem) throw new MediaConduitError({ code: 'INVALID_RESPONSE', retryable: true, message: `${operation}: image ${i} is not a whole image: ${problem}` });
          return new Image(bytes, {
            provider: 'fal',
            model: info.id,
            latencyMs: performance.now() - started,
            // fal bills FLUX by the megapixel on some endpoints: the area generated, unrounded.
            usage: { images: 1, megapixels: megapixels(bytes) },
            ...(requestId ? { requestId } : {}),
            ...(typeof seed === 'number' ? { seed: seed + i } : {}),
          });
        }),
      );
    },
  };
  return model;
}

/** The image's area in megapixels (its header read; a whole image has one). */
function megapixels(bytes: Uint8Array): number {
  const size = readImageInfo(bytes);
  return size ? (size.width * size.height) / 1e6 : 0;
}
