// The build side of a cold load, as one lazily imported chunk: the manifest (zod, js-yaml,
// semver), install (tar) and build (esbuild) steps. A warm load never loads it.
import { preferNodeCrypto } from '../util/hash.js';
export { readProviderManifest, warmUpManifest } from './manifest.js';
export { ensureDependencies } from './install.js';
export { buildBundle } from './build.js';
export { startBuildService } from '../build/bundle-provider.js';

// esbuild's API, which this chunk requires, loads node:crypto with it, so this chunk's hashes use
// node:crypto too rather than compile the WebAssembly engine (each chunk has its own copy of util/hash).
preferNodeCrypto();
