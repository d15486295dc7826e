import { atomicWriteFile } from '../util/atomic-write.js';
import { type AssetMetadata, withCreatedAt } from './asset-metadata.js';

const MARKER = Symbol.for('mediaconduit.asset');

/** The kinds of asset a model returns. */
export type AssetKind = 'text' | 'image' | 'audio' | 'embedding';

/** Base of every media asset: bytes (or values), a MIME type and provenance. */
export abstract class MediaAsset {
  /** What kind of asset this is. */
  abstract readonly kind: AssetKind;
  /** Provenance: provider, model, latency, usage, request id, time. */
  readonly metadata: AssetMetadata;
  /** MIME type of {@link toBytes}. */
  readonly mimeType: string;
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through the Symbol.for marker by isInstance(), across copies of this class
  private readonly [MARKER] = true;

  protected constructor(mimeType: string, metadata: Partial<AssetMetadata> | undefined) {
    this.mimeType = mimeType;
    this.metadata = withCreatedAt(metadata);
  }

  /** The asset encoded as bytes of {@link mimeType}. */
  abstract toBytes(): Uint8Array;

  /** Base64 of {@link toBytes}. */
  toBase64(): string {
    return Buffer.from(this.toBytes()).toString('base64');
  }

  /** A `data:` URL of the asset. */
  toDataURL(): string {
    return `data:${this.mimeType};base64,${this.toBase64()}`;
  }

  /** Writes the asset to `path` atomically, creating folders as needed; resolves to `path`. */
  async save(path: string): Promise<string> {
    await atomicWriteFile(path, this.toBytes());
    return path;
  }

  /** True for any asset, whichever copy of core created it. */
  static isInstance(value: unknown): value is MediaAsset {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}
