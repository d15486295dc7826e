// @mediaconduit/core: the loader. It re-exports the provider contract (@mediaconduit/provider)
// for applications; provider bundles bind to the contract alone, never to this list.
export * from '@mediaconduit/provider';
export { parseSpecifier } from './source/parse-specifier.js';
export type { ProviderSource } from './source/provider-source.js';
export { applyUrlRewrites, parseUrlRewrites, type UrlRewrites } from './source/url-rewrites.js';
export { MANIFEST_FILE, type ProviderManifest, type ManifestEnvVar, type ManifestModelHint } from './manifest/manifest.js';
export { LOCKFILE_NAME, type LockEntry, type Lockfile } from './lockfile/lockfile.js';
export { createLogger, debugEnabled } from './util/logger.js';
export { CORE_VERSION } from './version.js';
export {
  createProviderRegistry,
  getProviderRegistry,
  type ProviderRegistry,
  type GetProviderOptions,
  type LoadedProvider,
  type FoundModel,
  type UpdateResult,
  type PrepareResult,
} from './registry/provider-registry.js';
export type { ProviderRegistryOptions } from './registry/registry-options.js';
export type { ProgressEvent } from './pipeline/progress-event.js';
export {
  loadProviderFromFolder,
  verifyCache,
  pruneCache,
  listCache,
  cleanCache,
  localRepositoryState,
  type LocalRepositoryState,
  type FolderProvider,
  type LoadFolderOptions,
  type CacheProblem,
  type CacheListing,
  type CacheEntryInfo,
} from './on-demand.js';
export { providerShapeProblems } from './pipeline/validate-provider.js';
export { createHttpClient } from './http/http-client.js';
export { createModelRuntime, type ModelRuntime, type ModelRuntimeOptions } from './calls/model-runtime.js';
export { memoryCallLog, jsonlCallLog, callbackCallLog, type CallLogSink, type MemoryCallLog } from './calls/call-log.js';
export type { CallRecord, CallInputSize, CallOutputSize, FallbackStep } from './calls/call-record.js';
export type { CallEvents, CallEventName, CallEventListener, CallTarget } from './calls/call-events.js';
export type { FallbackOptions, ModelRef } from './calls/fallback-options.js';
export type { CooldownOptions } from './calls/circuit-breaker.js';
export type { LayeredModelConfig, ModelConfigLayer } from './calls/model-config.js';
export type { UsageReport, UsageTotals } from './calls/usage-meter.js';
export { isRetryable } from './calls/retryable.js';
export { withAdapters, type Adapter } from './calls/with-adapters.js';
export { publishAdapter, type AdapterSource, type PublishAdapterOptions } from './training/publish-adapter.js';
export { readLockfile } from './lockfile/lockfile.js';
export type { StoredTrainingJob, TrainingSample } from './training/training-store.js';
export { TrainingJobWatcher, type TrainingRound, type TrainingWatchEvent, type WatchTrainingJobsOptions } from './registry/training-watch.js';
