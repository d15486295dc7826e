import type { Image } from '../assets/image.js';
import type { CallOptionsV1 } from './call-options-v1.js';
import type { ModelInfoV1 } from './model-info-v1.js';

/** A prompt, or a prompt with extra inputs. */
export type ImageInputV1 = string | { prompt: string; negativePrompt?: string };

/** Options of image generation. */
export interface ImageOptionsV1 extends CallOptionsV1 {
  /** Width in pixels. */
  width?: number;
  /** Height in pixels. */
  height?: number;
  /** Diffusion steps. */
  steps?: number;
  /** Seed for reproducible output. */
  seed?: number;
  /** How many images `transformMany` returns (`transform` always returns one). */
  n?: number;
  /** What the image should not show. */
  negativePrompt?: string;
  /** Encoded format; providers choose a default (usually JPEG). */
  format?: 'jpeg' | 'png' | 'webp';
  /** A LoRA or other adapter to apply, by id or URL, with an optional scale. */
  adapters?: readonly { path: string; scale?: number }[];
}

/** A `text-to-image` model. */
export interface ImageModelV1 {
  /** Always `v1`. */
  readonly specificationVersion: 'v1';
  /** Always `text-to-image`. */
  readonly capability: 'text-to-image';
  /** The model id. */
  readonly id: string;
  /** What the provider reported about the model. */
  readonly info: ModelInfoV1;
  /** Generates one image. */
  transform(input: ImageInputV1, options?: ImageOptionsV1): Promise<Image>;
  /** Generates `options.n` images (default 1). */
  transformMany(input: ImageInputV1, options?: ImageOptionsV1): Promise<Image[]>;
}
