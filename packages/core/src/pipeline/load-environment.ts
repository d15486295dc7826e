import type { CacheDirs } from '../cache/cache-dirs.js';
import type { GitRunOptions } from '../git/git-runner.js';
import type { UrlRewrites } from '../source/url-rewrites.js';
import type { ProgressEvent } from './progress-event.js';

/** The registry settings the load pipeline reads. */
export interface LoadSettings {
  offline: boolean;
  rewrites: UrlRewrites;
  tokens: Readonly<Record<string, string>>;
  gitTimeoutMs: number;
  installTimeoutMs: number;
  lockWaitMs: number;
  buildTimeoutMs: number;
  maxCheckoutBytes: number;
  maxCheckoutFiles: number;
  /** Packages one install may bring in. */
  maxPackages: number;
  /** Unpacked bytes of one dependency's tarball. */
  maxPackageBytes: number;
  /** Unpacked bytes of all of one provider's dependencies. */
  maxInstallBytes: number;
  /** The npm registry dependencies come from (the only origin fetched); `undefined`: the host's npm default. */
  npmRegistry: string | undefined;
  /** The environment the registry reads its defaults from. */
  env: NodeJS.ProcessEnv;
}

/** What the load pipeline needs from its registry. It never touches the lockfile. */
export interface LoadEnvironment {
  settings: LoadSettings;
  dirs: CacheDirs;
  emit(event: ProgressEvent): void;
  /** Debug detail (git commands, dependency fetches); present only when `DEBUG=mediaconduit:*` asks for it. */
  debug: ((message: string, fields?: Readonly<Record<string, unknown>>) => void) | undefined;
  signal: AbortSignal;
  /** Called whenever a git process of this load has started (see {@link GitRunOptions.onStarted}). */
  onGitStarted?: (() => void) | undefined;
  /** Called with the provider's id once a cold load has read its manifest (before install and build). */
  onManifestId?: ((id: string) => void) | undefined;
}

/**
 * Runs one step of a load between `start` and `done` progress events. `announcedAt`: the step's
 * `start` was already emitted then (by a caller that began the step another way).
 */
export async function timedStep<T>(
  env: LoadEnvironment,
  specifier: string,
  phase: ProgressEvent['phase'],
  detail: string,
  work: () => Promise<T>,
  announcedAt?: number,
): Promise<T> {
  const started = announcedAt ?? performance.now();
  if (announcedAt === undefined) env.emit({ specifier, phase, status: 'start', detail });
  const result = await work();
  env.emit({ specifier, phase, status: 'done', detail, durationMs: performance.now() - started });
  return result;
}
