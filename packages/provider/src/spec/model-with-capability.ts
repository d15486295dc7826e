import { MediaConduitError } from '../errors/mediaconduit-error.js';
import type { Capability } from './capability.js';
import type { ModelByCapabilityV1, ModelV1 } from './model-v1.js';

/**
 * Returns `model` typed for `capability`, or throws `UNSUPPORTED_CAPABILITY` when it serves
 * another one. This is how a provider's generic `getModel` returns without a cast:
 * `return modelWithCapability(model, options?.capability, 'acme')`.
 */
export function modelWithCapability<C extends Capability = Capability>(model: ModelV1, capability: C | undefined, providerId: string): ModelByCapabilityV1[C] {
  if (capability !== undefined && model.capability !== capability) {
    throw new MediaConduitError({
      code: 'UNSUPPORTED_CAPABILITY',
      message: `${providerId}: model "${model.id}" is ${model.capability}, not ${capability}; pick a ${capability} model from listModels({ capability: '${capability}' })`,
      details: { model: model.id, capability: model.capability, requested: capability },
    });
  }
  // Checked above: a model of capability C is a ModelByCapabilityV1[C].
  return model as ModelByCapabilityV1[C];
}
