import { mcError } from '../errors/mediaconduit-error.js';
import type { AssetMetadata } from './asset-metadata.js';
import { readImageInfo } from './image-info.js';
import { MediaAsset } from './media-asset.js';

/** An encoded image with its real format and size. */
export class Image extends MediaAsset {
  readonly kind = 'image' as const;
  /** Encoded bytes (PNG, JPEG, WebP or GIF). */
  readonly bytes: Uint8Array;
  /** Width in pixels, read from the bytes. */
  readonly width: number;
  /** Height in pixels, read from the bytes. */
  readonly height: number;

  /**
   * Wraps encoded image bytes; the MIME type and size are read from the bytes themselves.
   * Throws `INVALID_INPUT` when the bytes are not a PNG, JPEG, WebP or GIF image.
   */
  constructor(bytes: Uint8Array, metadata?: Partial<AssetMetadata>) {
    const info = readImageInfo(bytes);
    if (!info) {
      throw mcError('INVALID_INPUT', `image: ${bytes.byteLength} bytes are not a PNG, JPEG, WebP or GIF image (first bytes ${Buffer.from(bytes.subarray(0, 8)).toString('hex')})`);
    }
    super(info.mimeType, metadata);
    this.bytes = bytes;
    this.width = info.width;
    this.height = info.height;
  }

  toBytes(): Uint8Array {
    return this.bytes;
  }
}
