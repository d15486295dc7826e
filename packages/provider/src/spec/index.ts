export { CAPABILITIES, isCapability, type Capability } from './capability.js';
export type { CallOptionsV1 } from './call-options-v1.js';
export type { RetryOptionsV1 } from './retry-options-v1.js';
export type { UsageV1 } from '../assets/usage-v1.js';
export type { ModelInfoV1, ModelPricingV1 } from './model-info-v1.js';
export type { ProviderHealthV1 } from './health-v1.js';
export type { ChatMessageV1, TextInputV1, TextOptionsV1, TextStreamPartV1, TextModelV1 } from './text-model-v1.js';
export type { ImageInputV1, ImageOptionsV1, ImageModelV1 } from './image-model-v1.js';
export type { SpeechOptionsV1, SpeechModelV1 } from './speech-model-v1.js';
export type { TranscriptionInputV1, TranscriptionOptionsV1, TranscriptionModelV1 } from './transcription-model-v1.js';
export type { EmbeddingOptionsV1, EmbeddingModelV1 } from './embedding-model-v1.js';
export type { ModelByCapabilityV1, ModelV1 } from './model-v1.js';
export type { LoggerV1 } from './logger-v1.js';
export type { ProviderContextV1 } from './provider-context-v1.js';
export type { HttpClientFactoryV1, HttpClientOptionsV1, HttpClientV1, HttpRequestV1, HttpResponseV1 } from './http-client-v1.js';
export { modelWithCapability } from './model-with-capability.js';
export type { ListModelsOptionsV1, MediaProviderV1, ProviderFactoryV1 } from './media-provider-v1.js';
export type { FileStorageV1, FileUploadOptionsV1, StoredFileV1 } from './file-storage-v1.js';
export {
  TRAINING_STATUSES,
  isFinalTrainingStatus,
  type TrainingStatusV1,
  type TrainingOptionsV1,
  type TrainingProgressV1,
  type TrainingArtifactV1,
  type TrainingJobInfoV1,
  type TrainingEventV1,
  type TrainingCheckpointV1,
  type TrainingWaitOptionsV1,
  type TrainingJobV1,
  type TrainingFileV1,
  type TrainingFilesV1,
  type TrainingProviderV1,
} from './training-v1.js';
