export type { AssetMetadata } from './asset-metadata.js';
export { MediaAsset, type AssetKind } from './media-asset.js';
export { Text } from './text.js';
export { Image } from './image.js';
export { Audio } from './audio.js';
export { Embedding } from './embedding.js';
export { readImageInfo, wholeImageProblem, type ImageInfo } from './image-info.js';
export { readWavInfo, type WavInfo } from './wav-info.js';
