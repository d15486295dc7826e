import type { AssetMetadata } from './asset-metadata.js';
import { MediaAsset } from './media-asset.js';

/** Generated or transcribed text. */
export class Text extends MediaAsset {
  readonly kind = 'text' as const;
  /** The text itself. */
  readonly text: string;

  constructor(text: string, metadata?: Partial<AssetMetadata>, mimeType = 'text/plain; charset=utf-8') {
    super(mimeType, metadata);
    this.text = text;
  }

  toBytes(): Uint8Array {
    return new TextEncoder().encode(this.text);
  }

  override toString(): string {
    return this.text;
  }
}
