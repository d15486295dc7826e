import type { CallOptionsV1 } from './call-options-v1.js';
import type { Capability } from './capability.js';
import type { FileStorageV1 } from './file-storage-v1.js';
import type { ProviderHealthV1 } from './health-v1.js';
import type { ModelByCapabilityV1 } from './model-v1.js';
import type { ModelInfoV1 } from './model-info-v1.js';
import type { ProviderContextV1 } from './provider-context-v1.js';
import type { TrainingProviderV1 } from './training-v1.js';

/** Options of `listModels`. */
export interface ListModelsOptionsV1 extends CallOptionsV1 {
  /** Only models with this capability. */
  capability?: Capability;
  /** Ask the provider again instead of using its cached list. */
  refresh?: boolean;
}

/**
 * A media provider, version 1 of the contract. Providers that train models also implement the
 * optional members of {@link TrainingProviderV1} (`createTrainingJob`, `listTrainingJobs`,
 * `getTrainingJob`, `trainingFiles`).
 */
export interface MediaProviderV1 extends Partial<TrainingProviderV1> {
  /** Always `v1`. */
  readonly specificationVersion: 'v1';
  /** Stable id, equal to the manifest's `id`. */
  readonly id: string;
  /** Human-readable name. */
  readonly name: string;
  /** `remote`: calls an API over the network; `local`: runs in this process. */
  readonly type: 'remote' | 'local';
  /** The capabilities the provider serves; must equal the manifest's `capabilities`. */
  readonly capabilities: readonly Capability[];
  /** Prepares the provider (for example, discovers its models). The registry awaits it once. */
  initialize?(options?: CallOptionsV1): Promise<void>;
  /** Discovers models, live where the provider can. */
  listModels(options?: ListModelsOptionsV1): Promise<ModelInfoV1[]>;
  /**
   * The model with this id, dispatched by its discovered capability. Throws `MODEL_NOT_FOUND`
   * (with the closest ids) for an unknown id, and `UNSUPPORTED_CAPABILITY` when `capability`
   * is given and the model has another.
   */
  getModel<C extends Capability = Capability>(id: string, options?: CallOptionsV1 & { capability?: C }): Promise<ModelByCapabilityV1[C]>;
  /** The models known for a capability, synchronously; valid after `initialize`. */
  getModelsForCapability(capability: Capability): ModelInfoV1[];
  /** Whether calls can work now (for example, whether an API key is configured). */
  isAvailable(): Promise<boolean>;
  /** A health check. */
  getHealth(options?: CallOptionsV1): Promise<ProviderHealthV1>;
  /**
   * Public file storage, for providers whose service keeps files at URLs others can fetch (fal's
   * storage). Core's `publishAdapter` uses it to give a LoRA whose weights are inline or on this
   * machine a URL that any service taking LoRAs by URL can download.
   */
  readonly storage?: FileStorageV1;
  /** Releases connections and timers. The registry calls it on `close()`. */
  dispose?(): Promise<void>;
}

/** What a provider bundle's default export may be: a factory, or a ready provider. */
export type ProviderFactoryV1 = (context: ProviderContextV1) => MediaProviderV1 | Promise<MediaProviderV1>;
