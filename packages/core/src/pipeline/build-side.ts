// The build side of a cold load, as one lazily imported chunk: the manifest (zod, js-yaml,
// semver), install (tar) and build (esbuild) steps. A warm load never loads it.
export { readProviderManifest } from './manifest.js';
export { ensureDependencies } from './install.js';
export { buildBundle } from './build.js';
