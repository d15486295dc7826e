import type { Audio } from '../assets/audio.js';
import type { Text } from '../assets/text.js';
import type { CallOptionsV1 } from './call-options-v1.js';
import type { ModelInfoV1 } from './model-info-v1.js';

/** Audio to transcribe: an asset, or bytes with their MIME type. */
export type TranscriptionInputV1 = Audio | { data: Uint8Array; mimeType: string; fileName?: string };

/** Options of transcription. */
export interface TranscriptionOptionsV1 extends CallOptionsV1 {
  /** Spoken language (ISO 639-1), if known. */
  language?: string;
  /** Text that guides spelling and style. */
  prompt?: string;
  /** Sampling temperature. */
  temperature?: number;
}

/** An `audio-to-text` model: transcription. */
export interface TranscriptionModelV1 {
  /** Always `v1`. */
  readonly specificationVersion: 'v1';
  /** Always `audio-to-text`. */
  readonly capability: 'audio-to-text';
  /** The model id. */
  readonly id: string;
  /** What the provider reported about the model. */
  readonly info: ModelInfoV1;
  /** Transcribes `input`. */
  transform(input: TranscriptionInputV1, options?: TranscriptionOptionsV1): Promise<Text>;
}
