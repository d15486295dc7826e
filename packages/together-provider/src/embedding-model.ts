import { Embedding, MediaConduitError, type EmbeddingModelV1, type LoggerV1, type ModelInfoV1 } from '@mediaconduit/provider';
import { provenance } from './provenance.js';
import { invalidResponse, type TogetherClient } from './together-client.js';

interface EmbeddingsResponse {
  data?: { index?: number; embedding?: number[] }[];
  usage?: { prompt_tokens?: number };
}

/** A Together embedding model. */
export function createEmbeddingModel(info: ModelInfoV1, client: TogetherClient, logger: LoggerV1): EmbeddingModelV1 {
  const operation = `together embeddings ${info.id}`;
  const model: EmbeddingModelV1 = {
    specificationVersion: 'v1',
    capability: 'text-to-embedding',
    id: info.id,
    info,
    transform: async (input, options) => (await model.transformMany([input], options))[0]!,
    async transformMany(inputs, options) {
      if (inputs.length === 0 || inputs.some((i) => typeof i !== 'string'))
        throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${operation}: pass one or more strings` });
      if (options?.dimensions !== undefined) logger.warn(`${operation}: the dimensions option is not supported by Together and was ignored`);
      const started = performance.now();
      const { body, requestId } = await client.json<EmbeddingsResponse>({
        method: 'POST',
        path: '/embeddings',
        json: { model: info.id, input: inputs.length === 1 ? inputs[0] : inputs },
        signal: options?.signal,
        headers: options?.headers,
        operation,
      });
      const rows = [...(body.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (rows.length !== inputs.length || rows.some((r) => !Array.isArray(r.embedding))) {
        throw invalidResponse(operation, `asked for ${inputs.length} vectors, got ${rows.length}`);
      }
      const usage = body.usage?.prompt_tokens === undefined ? undefined : { inputTokens: body.usage.prompt_tokens };
      return rows.map((row, i) => new Embedding(row.embedding!, provenance(info.id, started, { requestId, usage }), inputs[i]));
    },
  };
  return model;
}
