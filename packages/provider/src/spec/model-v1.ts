import type { Capability } from './capability.js';
import type { EmbeddingModelV1 } from './embedding-model-v1.js';
import type { ImageModelV1 } from './image-model-v1.js';
import type { SpeechModelV1 } from './speech-model-v1.js';
import type { TextModelV1 } from './text-model-v1.js';
import type { TranscriptionModelV1 } from './transcription-model-v1.js';

/** The model type that serves each capability. */
export interface ModelByCapabilityV1 {
  'text-to-text': TextModelV1;
  'text-to-image': ImageModelV1;
  'text-to-audio': SpeechModelV1;
  'audio-to-text': TranscriptionModelV1;
  'text-to-embedding': EmbeddingModelV1;
}

/** Any v1 model; narrow it with `model.capability`. */
export type ModelV1 = ModelByCapabilityV1[Capability];
