// The provider contract: what a provider bundle binds to from the host, and nothing else.
// Its export list is pinned by a test (contract-exports.test.ts): every name here is plugin ABI.
export { ERROR_CODES, type ErrorCode } from './errors/error-code.js';
export { MediaConduitError, type MediaConduitErrorFields } from './errors/mediaconduit-error.js';
export * from './spec/index.js';
export * from './assets/index.js';
export { encodePng } from './media/png.js';
export { encodeWav, decodeWav16 } from './media/wav.js';
export { closestMatches } from './util/closest-matches.js';
export { CONTRACT_VERSION } from './version.js';
export {
  checkTrainingData,
  type CheckTrainingDataOptions,
  type CheckedTrainingData,
  type CheckedTrainingFile,
  type TrainingDataKind,
  type TrainingDataLimits,
} from './training/check-training-data.js';
export { refuseTrainingOptions, TRAINING_OPTION_FIELDS, type TrainingOptionField } from './training/training-options.js';
export { trainingJobHandle, type TrainingJobSource } from './training/training-job-handle.js';
