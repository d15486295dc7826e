import type { AssetMetadata } from './asset-metadata.js';
import { MediaAsset } from './media-asset.js';
import { readWavInfo } from './wav-info.js';

/** Encoded audio. */
export class Audio extends MediaAsset {
  readonly kind = 'audio' as const;
  /** Encoded bytes (WAV, MP3, raw PCM, ...). */
  readonly bytes: Uint8Array;
  /** Duration in seconds, when known (always for WAV). */
  readonly durationSeconds: number | undefined;
  /** Samples per second, when known. */
  readonly sampleRate: number | undefined;
  /** Channel count, when known. */
  readonly channels: number | undefined;

  /** Wraps audio bytes; for WAV, duration, sample rate and channels are read from the header. */
  constructor(bytes: Uint8Array, mimeType: string, metadata?: Partial<AssetMetadata>, facts: { durationSeconds?: number; sampleRate?: number; channels?: number } = {}) {
    super(mimeType, metadata);
    this.bytes = bytes;
    const wav = /wav/i.test(mimeType) ? readWavInfo(bytes) : undefined;
    this.durationSeconds = wav?.durationSeconds ?? facts.durationSeconds;
    this.sampleRate = wav?.sampleRate ?? facts.sampleRate;
    this.channels = wav?.channels ?? facts.channels;
  }

  toBytes(): Uint8Array {
    return this.bytes;
  }
}
