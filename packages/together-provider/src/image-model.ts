import { Image, MediaConduitError, wholeImageProblem, type ImageInputV1, type ImageModelV1, type ImageOptionsV1, type LoggerV1, type ModelInfoV1 } from '@mediaconduit/provider';
import { provenance } from './provenance.js';
import { readImageResponse } from './read-image-response.js';
import { invalidResponse, requestIdOf, type TogetherClient } from './together-client.js';

/** The `/images/generations` request body. */
export function imageRequest(model: string, input: ImageInputV1, options: ImageOptionsV1 | undefined, n: number, logger: LoggerV1): Record<string, unknown> {
  const prompt = typeof input === 'string' ? input : input.prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new MediaConduitError({ code: 'INVALID_INPUT', message: `together image ${model}: the prompt is empty` });
  if (options?.format === 'webp') logger.warn(`together image ${model}: format "webp" is not offered; using JPEG`);
  const body: Record<string, unknown> = { model, prompt, n, response_format: 'base64', output_format: options?.format === 'png' ? 'png' : 'jpeg' };
  if (options?.width !== undefined) body.width = options.width;
  if (options?.height !== undefined) body.height = options.height;
  if (options?.steps !== undefined) body.steps = options.steps;
  if (options?.seed !== undefined) body.seed = options.seed;
  const negative = options?.negativePrompt ?? (typeof input === 'string' ? undefined : input.negativePrompt);
  if (negative !== undefined) body.negative_prompt = negative;
  if (options?.adapters?.length) body.image_loras = options.adapters.map((a) => ({ path: loraUrl(model, a.path), scale: a.scale ?? 1 }));
  return body;
}

/**
 * An adapter's path as Together takes it: the http(s) URL of the LoRA's weights, which its servers
 * fetch. Anything else (a local file, another service's name for a LoRA) is refused here, before a
 * request, with what to pass instead.
 */
function loraUrl(model: string, path: unknown): string {
  if (typeof path === 'string' && /^https?:\/\//i.test(path) && URL.canParse(path)) return path;
  const shown = typeof path === 'string' && path.length > 80 ? `${JSON.stringify(path.slice(0, 60))}… (${path.length} characters)` : JSON.stringify(path);
  const local = typeof path === 'string' && (/^(data|file):/i.test(path) || !/^[a-z][a-z0-9+.-]*:/i.test(path));
  throw new MediaConduitError({
    code: 'INVALID_INPUT',
    message: `together image ${model}: the adapter ${shown} is not an http(s) URL; Together applies a LoRA by the http(s) URL of its weights (a .safetensors file, or a Hugging Face repository URL), which its servers download${
      local ? '; for weights inline (a data: URL) or in a file, publishAdapter(job, { storage: falProvider }) from @mediaconduit/core uploads them to a public URL first' : ''
    }`,
    details: { adapter: typeof path === 'string' ? path.slice(0, 200) : path },
  });
}

/** A Together image model (FLUX and others): base64 answers, real MIME type and size from the bytes. */
export function createImageModel(info: ModelInfoV1, client: TogetherClient, logger: LoggerV1): ImageModelV1 {
  const operation = `together image ${info.id}`;
  const model: ImageModelV1 = {
    specificationVersion: 'v1',
    capability: 'text-to-image',
    id: info.id,
    info,
    transform: async (input, options) => (await model.transformMany(input, { ...options, n: 1 }))[0]!,
    async transformMany(input, options) {
      const n = options?.n ?? 1;
      if (!Number.isInteger(n) || n < 1) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${operation}: n must be a whole number of at least 1, got ${n}` });
      const started = performance.now();
      const request = {
        method: 'POST' as const,
        path: '/images/generations',
        json: imageRequest(info.id, input, options, n, logger),
        signal: options?.signal,
        headers: options?.headers,
        operation,
      };
      const response = await client.send(request);
      let read: Awaited<ReturnType<typeof readImageResponse>>;
      try {
        const length = Number(response.headers['content-length']);
        read = await readImageResponse(response.body, Number.isSafeInteger(length) && length > 0 ? length : undefined);
      } catch (error) {
        throw client.bodyError(request, error);
      }
      const body = read.json;
      const requestId = requestIdOf(response);
      const data = [...(body.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length === 0) throw invalidResponse(operation, 'it holds no images');
      return Promise.all(
        data.map(async (item, i) => {
          let bytes: Uint8Array;
          const streamed = /^@image:(\d+)$/.exec(item.b64_json ?? '');
          if (streamed) bytes = read.images[Number(streamed[1])]!;
          else if (typeof item.url === 'string' && item.url !== '') {
            if (!/^https?:\/\//i.test(item.url) || !URL.canParse(item.url)) throw invalidResponse(operation, `image ${i} has a url that is not an http(s) URL`);
            bytes = (await client.bytes({ method: 'GET', path: item.url, signal: options?.signal, operation: `${operation}: download image ${i}` })).bytes;
          } else throw invalidResponse(operation, `image ${i} has neither b64_json nor url`);
          // The whole image, checked before it is handed back (or counted and priced): a cut-off one is the service's fault.
          const problem = wholeImageProblem(bytes);
          if (problem) throw invalidResponse(operation, `image ${i} is not a whole image: ${problem}`);
          return new Image(
            bytes,
            provenance(info.id, started, { requestId: requestId ?? body.id, seed: options?.seed === undefined ? undefined : options.seed + i, usage: { images: 1 } }),
          );
        }),
      );
    },
  };
  return model;
}
