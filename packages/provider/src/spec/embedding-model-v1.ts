import type { Embedding } from '../assets/embedding.js';
import type { CallOptionsV1 } from './call-options-v1.js';
import type { ModelInfoV1 } from './model-info-v1.js';

/** Options of embedding. */
export interface EmbeddingOptionsV1 extends CallOptionsV1 {
  /** Requested dimensions, where the model can shorten its vectors. */
  dimensions?: number;
}

/** A `text-to-embedding` model. */
export interface EmbeddingModelV1 {
  /** Always `v1`. */
  readonly specificationVersion: 'v1';
  /** Always `text-to-embedding`. */
  readonly capability: 'text-to-embedding';
  /** The model id. */
  readonly id: string;
  /** What the provider reported about the model. */
  readonly info: ModelInfoV1;
  /** Embeds one text. */
  transform(input: string, options?: EmbeddingOptionsV1): Promise<Embedding>;
  /** Embeds several texts in one call, in order. */
  transformMany(input: readonly string[], options?: EmbeddingOptionsV1): Promise<Embedding[]>;
}
