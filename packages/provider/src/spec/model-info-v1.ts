import type { Capability } from './capability.js';

/** Prices as the provider publishes them, in US dollars. */
export interface ModelPricingV1 {
  /** Per million input tokens. */
  inputPerMillionTokens?: number;
  /** Per million output tokens. */
  outputPerMillionTokens?: number;
  /** Per million characters of input (speech synthesis). */
  perMillionCharacters?: number;
  /** Per image, or per image-sized unit of work. */
  perImage?: number;
  /** Per megapixel of generated image (fal prices some FLUX endpoints so). */
  perMegapixel?: number;
  /** Any other unit the provider reports (for example `base`, `finetune`), verbatim. */
  other?: Readonly<Record<string, number>>;
}

/** One model as discovered from its provider. */
export interface ModelInfoV1 {
  /** The id to pass to `getModel`. */
  id: string;
  /** The provider that serves it. */
  providerId: string;
  /** What it does; models the provider lists but cannot serve have no capability. */
  capability: Capability | undefined;
  /** A human-readable name. */
  displayName?: string;
  /** Who made the model. */
  organization?: string;
  /** The provider's own type label (for example `chat`, `image`, `transcribe`). */
  providerType?: string;
  /** Maximum context, in tokens, for text models. */
  contextLength?: number;
  /** Length of the vectors an embedding model returns. */
  dimensions?: number;
  /** Published prices, when the provider reports them. */
  pricing?: ModelPricingV1;
}
