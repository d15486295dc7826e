import type { CacheDirs } from '../cache/cache-dirs.js';
import type { LockfileStore } from '../lockfile/lockfile-store.js';
import type { ProgressEvent } from './progress-event.js';
import type { ResolvedRegistryOptions } from './registry-options.js';

/** What the load pipeline needs from its registry. */
export interface LoadEnvironment {
  options: ResolvedRegistryOptions;
  dirs: CacheDirs;
  lock: LockfileStore;
  coreExports: readonly string[];
  emit(event: ProgressEvent): void;
  signal: AbortSignal;
}
