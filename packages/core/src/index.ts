export * from './errors/index.js';
export * from './spec/index.js';
export * from './assets/index.js';
export { parseSpecifier } from './source/parse-specifier.js';
export type { ProviderSource } from './source/provider-source.js';
export { applyUrlRewrites, parseUrlRewrites, type UrlRewrites } from './source/url-rewrites.js';
export { MANIFEST_FILE, type ProviderManifest, type ManifestEnvVar, type ManifestModelHint } from './manifest/manifest.js';
export { LOCKFILE_NAME, type LockEntry, type Lockfile } from './lockfile/lockfile.js';
export { createLogger } from './util/logger.js';
export { CORE_VERSION } from './version.js';
export {
  createProviderRegistry, getProviderRegistry,
  type ProviderRegistry, type GetProviderOptions, type LoadedProvider, type FoundModel, type UpdateResult,
} from './registry/provider-registry.js';
export type { ProviderRegistryOptions } from './registry/registry-options.js';
export type { ProgressEvent } from './registry/progress-event.js';
export { createHttpClient, httpBaseUrlProblem, httpError, type HttpClient, type HttpClientOptions, type HttpRequest, type HttpResponse } from './http/http-client.js';
export { parseSse } from './http/parse-sse.js';
export { closestMatches } from './util/closest-matches.js';
export { encodePng, crc32 } from './media/png.js';
export { encodeWav, decodeWav16 } from './media/wav.js';
