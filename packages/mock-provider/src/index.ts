import {
  CAPABILITIES,
  MediaConduitError,
  closestMatches,
  modelWithCapability,
  type Capability,
  type MediaProviderV1,
  type ModelByCapabilityV1,
  type ModelInfoV1,
  type ModelV1,
  type ProviderContextV1,
} from '@mediaconduit/provider';
import type { MockRuntime } from './call-context.js';
import { createEmbeddingModel } from './embedding-model.js';
import { Faults } from './faults.js';
import { createImageModel } from './image-model.js';
import { jobOfWeightsUrl } from './lora-weights.js';
import { parseMockOptions, type MockOptions } from './mock-options.js';
import { MOCK_MODELS } from './models.js';
import { PROVIDER_ID, PROVIDER_NAME } from './provider-info.js';
import { createSpeechModel } from './speech-model.js';
import { createTextModel } from './text-model.js';
import { LORA_PREFIX, type MockLora, MockTraining, type MockTrainingHost } from './training.js';
import { createTranscriptionModel } from './transcription-model.js';

export type { MockOptions } from './mock-options.js';
export { MOCK_MODELS } from './models.js';
export { MOCK_TRAINING_DEFAULTS, type MockTrainingHost } from './training.js';

const FACTORIES: { [C in Capability]: (info: ModelInfoV1, runtime: MockRuntime, adapterOf: (path: string) => MockLora) => ModelByCapabilityV1[C] } = {
  'text-to-text': createTextModel,
  'text-to-image': (info, runtime, adapterOf) => createImageModel(info, runtime, undefined, adapterOf),
  'text-to-audio': createSpeechModel,
  'audio-to-text': createTranscriptionModel,
  'text-to-embedding': createEmbeddingModel,
};

/**
 * Creates the mock provider: every capability, offline and deterministic, and simulated LoRA
 * training of its image models (a trained trigger word changes the pictures).
 */
export function createMockProvider(options: MockOptions = {}, host: MockTrainingHost = {}): MediaProviderV1 {
  const parsed = parseMockOptions(options as Record<string, unknown>);
  const runtime: MockRuntime = { faults: new Faults(parsed), seed: parsed.seed };
  const training = new MockTraining(parsed, host);
  const models = new Map<string, ModelV1>();
  /**
   * A LoRA named as an adapter: the mock applies its own (completed), by model id
   * (`mock-lora/<job id>`) or by its weights (the `data:` URL of the job's `weights` artifact), and
   * no other.
   */
  const adapterOf = (path: string): MockLora => {
    const weights = typeof path === 'string' && path.startsWith('data:') ? jobOfWeightsUrl(path) : undefined;
    if (weights && 'problem' in weights) {
      throw new MediaConduitError({
        code: 'UNSUPPORTED',
        message: `${PROVIDER_ID}: the adapter's data: URL is no mock LoRA's weights (${weights.problem}); the mock applies only its own LoRAs. LoRAs by URL apply on Together or fal`,
      });
    }
    if (!weights && (typeof path !== 'string' || !path.startsWith(LORA_PREFIX))) {
      throw new MediaConduitError({
        code: 'UNSUPPORTED',
        message: `${PROVIDER_ID}: the adapter "${String(path)}" is not a mock LoRA; the mock applies only its own (${LORA_PREFIX}<job id>, or its weights' data: URL, from its training). LoRAs by URL apply on Together or fal`,
      });
    }
    const found = training.lora(weights ? `${LORA_PREFIX}${weights.jobId}` : path);
    if ('problem' in found) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${PROVIDER_ID}: adapter: ${found.problem}` });
    return found.lora;
  };
  const modelFor = (info: ModelInfoV1): ModelV1 => {
    let model = models.get(info.id);
    if (!model) {
      model = FACTORIES[info.capability!](info, runtime, adapterOf) as ModelV1;
      models.set(info.id, model);
    }
    return model;
  };
  return {
    specificationVersion: 'v1',
    id: PROVIDER_ID,
    name: PROVIDER_NAME,
    type: 'local',
    capabilities: [...CAPABILITIES],
    async listModels(listOptions) {
      return MOCK_MODELS.filter((m) => !listOptions?.capability || m.capability === listOptions.capability).map((m) => ({ ...m }));
    },
    async getModel(id, getOptions) {
      if (typeof id === 'string' && id.startsWith(LORA_PREFIX)) {
        const trained = training.lora(id);
        if ('problem' in trained) throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: `${PROVIDER_ID}: ${trained.problem}` });
        let model = models.get(id);
        if (!model) {
          model = createImageModel(trained.info, runtime, trained, adapterOf);
          models.set(id, model);
        }
        return modelWithCapability(model, getOptions?.capability, PROVIDER_ID);
      }
      const info = MOCK_MODELS.find((m) => m.id === id);
      if (!info) {
        const closest = closestMatches(
          id,
          MOCK_MODELS.map((m) => m.id),
        );
        throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: `${PROVIDER_ID}: no model "${id}"; closest: ${closest.join(', ')}`, details: { closest } });
      }
      return modelWithCapability(modelFor(info), getOptions?.capability, PROVIDER_ID);
    },
    getModelsForCapability: (capability) => MOCK_MODELS.filter((m) => m.capability === capability).map((m) => ({ ...m })),
    isAvailable: async () => true,
    getHealth: async () => ({ status: 'healthy', latencyMs: 0, checkedAt: new Date().toISOString() }),
    createTrainingJob: (trainingOptions) => training.create(trainingOptions),
    listTrainingJobs: () => training.list(),
    getTrainingJob: (id) => training.get(id),
  };
}

/** The registry's entry point: options come from `getProvider(url, { config })`. */
export default function createFromContext(context: ProviderContextV1): MediaProviderV1 {
  return createMockProvider(context.config as MockOptions, { now: context.now, dataDir: context.dataDir });
}
