import type { AssetMetadata } from './asset-metadata.js';
import { MediaAsset } from './media-asset.js';

/** An embedding vector. Its bytes are the JSON array of its values. */
export class Embedding extends MediaAsset {
  readonly kind = 'embedding' as const;
  /** The vector. */
  readonly values: readonly number[];
  /** The input text, when the provider returns it with the vector. */
  readonly input: string | undefined;

  constructor(values: readonly number[], metadata?: Partial<AssetMetadata>, input?: string) {
    super('application/json', metadata);
    this.values = values;
    this.input = input;
  }

  /** Length of the vector. */
  get dimensions(): number {
    return this.values.length;
  }

  /** Cosine similarity with another vector of the same length. */
  cosineSimilarity(other: Embedding | readonly number[]): number {
    const b = other instanceof Embedding ? other.values : other;
    if (b.length !== this.values.length) throw new RangeError(`cosineSimilarity: dimensions differ (${this.values.length} vs ${b.length})`);
    let dot = 0,
      na = 0,
      nb = 0;
    for (let i = 0; i < b.length; i++) {
      const x = this.values[i] ?? 0,
        y = b[i] ?? 0;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  }

  toBytes(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.values));
  }
}
