import { Embedding, type EmbeddingModelV1, type ModelInfoV1 } from '@mediaconduit/provider';
import { mockCall, type MockRuntime } from './call-context.js';
import { hashString, seededRandom } from './random.js';

/**
 * Deterministic unit vectors by feature hashing: every word adds a pseudo-random direction,
 * so texts sharing words point the same way (cosine similarity means something).
 */
export function embed(text: string, dimensions: number, seed: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [''];
  for (const word of words) {
    const random = seededRandom(hashString(word, seed));
    for (let i = 0; i < dimensions; i++) vector[i]! += random() * 2 - 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

/** A deterministic embedding model of a fixed dimension. */
export function createEmbeddingModel(info: ModelInfoV1, runtime: MockRuntime): EmbeddingModelV1 {
  const dimensions = info.dimensions ?? 64;
  const model: EmbeddingModelV1 = {
    specificationVersion: 'v1',
    capability: 'text-to-embedding',
    id: info.id,
    info,
    transform: async (input, options) => (await model.transformMany([input], options))[0]!,
    transformMany: (inputs, options) =>
      mockCall(runtime, info.id, options?.signal, (meta) =>
        inputs.map((text) => new Embedding(embed(text, dimensions, runtime.seed), meta({ inputTokens: text.split(/\s+/).filter(Boolean).length }), text)),
      ),
  };
  return model;
}
