import type { Audio } from '../assets/audio.js';
import type { CallOptionsV1 } from './call-options-v1.js';
import type { ModelInfoV1 } from './model-info-v1.js';

/** Options of speech synthesis. */
export interface SpeechOptionsV1 extends CallOptionsV1 {
  /** Voice id; see `listVoices`. */
  voice?: string;
  /** Container: WAV, MP3, or raw PCM. */
  format?: 'wav' | 'mp3' | 'raw';
  /** Samples per second. */
  sampleRate?: number;
  /** Speaking rate multiplier. */
  speed?: number;
  /** Language hint, such as `en`. */
  language?: string;
}

/** A `text-to-audio` model: speech synthesis. */
export interface SpeechModelV1 {
  /** Always `v1`. */
  readonly specificationVersion: 'v1';
  /** Always `text-to-audio`. */
  readonly capability: 'text-to-audio';
  /** The model id. */
  readonly id: string;
  /** What the provider reported about the model. */
  readonly info: ModelInfoV1;
  /** Speaks `input`. */
  transform(input: string, options?: SpeechOptionsV1): Promise<Audio>;
  /** The voices this model offers, when the provider lists them. */
  listVoices?(options?: CallOptionsV1): Promise<readonly { id: string; name?: string }[]>;
}
