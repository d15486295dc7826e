import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderRegistry, ProviderRegistryOptions } from '@mediaconduit/core';
import type { LoggerV1, MediaProviderV1 } from '@mediaconduit/provider';
import { type PathFlag, UsageError } from './errors.js';
import { Output, type CliIo } from './io.js';
import { resolveLocalSpecifier } from './local-specifier.js';
import { Progress } from './progress.js';

/** The flags of commands that load providers. */
export interface RegistryFlags {
  cacheDir?: string;
  /** A path, or `false` for `--no-lockfile`. */
  lockfile?: string | false;
  offline?: boolean;
  frozen?: boolean;
  /** `--isolation process|none|auto`. */
  isolation?: 'process' | 'none' | 'auto';
  /** `--config key=value`, repeatable: settings for the provider's factory. */
  config?: string[];
}

/** What every command gets. */
export class Context {
  readonly out: Output;
  readonly progress: Progress;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
  /** Paths the command line named with a flag: a file-system fault there names the flag. */
  readonly pathFlags: PathFlag[] = [];
  private readonly registries: ProviderRegistry[] = [];

  constructor(
    readonly io: CliIo,
    readonly json: boolean,
    /** `--debug`: stacks on errors, and the debug log. */
    readonly debug: boolean,
    /** `--quiet`: no progress lines and notes; results, warnings and errors only. */
    readonly quiet = false,
  ) {
    this.out = new Output(io, json, quiet);
    this.progress = new Progress(io, json || quiet);
    this.signal = io.signal ?? new AbortController().signal;
  }

  /** Remembers that `flag` named `path` (relative to the current folder); returns the absolute path. */
  pathFlag(flag: string, path: string): string {
    const absolute = resolve(this.io.cwd, path);
    this.pathFlags.push({ flag, path: absolute });
    return absolute;
  }

  /** A logger writing through the progress display: warnings always, debug lines when `debug` is on. */
  private logger(debug: boolean, scope = 'registry'): LoggerV1 {
    const emit = (level: string, message: string, fields?: Readonly<Record<string, unknown>>) =>
      this.progress.log(`mediaconduit:${scope} ${level} ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`);
    return {
      debug: debug ? (message, fields) => emit('debug', message, fields) : () => {},
      warn: (message, fields) => emit('warn', message, fields),
      error: (message, fields) => emit('error', message, fields),
    };
  }

  /** A local repository path means the user's folder; anything else is a specifier as given. */
  spec(specifier: string): string {
    const isFolder = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
    return resolveLocalSpecifier(specifier, this.io.cwd, isFolder);
  }

  /**
   * Loads the provider `given` names with the command's `--config`, and, when it is a local
   * repository, warns of what its author would otherwise miss: a lockfile pin older than the
   * branch, or changes not committed (a provider loads from a commit).
   */
  async loadProvider(registry: ProviderRegistry, given: string, flags: RegistryFlags): Promise<MediaProviderV1> {
    const specifier = this.spec(given);
    const config = this.config(flags);
    const provider = await registry.getProvider(specifier, config ? { config, signal: this.signal } : { signal: this.signal });
    const loaded = registry.listProviders().find((p) => p.provider === provider);
    if (loaded && /^(file:|\/)/.test(specifier)) {
      const { localRepositoryState, LOCKFILE_NAME, parseSpecifier } = await import('@mediaconduit/core');
      const { cacheDir, lockfile } = registry.options;
      // What the commands write where they run is no change of the provider's: this run's cache and
      // lockfile, and those an earlier run left in the provider's folder.
      const source = parseSpecifier(specifier);
      const folder = join(fileURLToPath(source.url), source.subdir);
      const written = [cacheDir, lockfile === false ? resolve(this.io.cwd, LOCKFILE_NAME) : lockfile, join(folder, LOCKFILE_NAME), join(folder, 'cache')];
      const state = await localRepositoryState(specifier, { ignore: written, signal: this.signal });
      const short = (commit: string) => commit.slice(0, 12);
      if (state?.commit && state.commit !== loaded.commit) {
        this.progress.log(
          `warning: ${given} is at ${short(state.commit)} now, but this command loaded ${short(loaded.commit)}${lockfile === false ? '' : `, which ${lockfile} pins`}; ` +
            `to load the new commit run mediaconduit update ${given} (or pass --no-lockfile while you develop)`,
        );
      } else if (state && state.uncommittedCount > 0) {
        const more = state.uncommittedCount > state.uncommitted.length ? `, and ${state.uncommittedCount - state.uncommitted.length} more` : '';
        this.progress.log(
          `warning: ${state.uncommittedCount} uncommitted change(s) in ${state.repository} are not in this run (${state.uncommitted.join(', ')}${more}): ` +
            'a provider loads from a commit, so commit them and run again (mediaconduit validate <folder> checks the folder as it is)',
        );
      }
    }
    return provider;
  }

  /** A registry with the command's flags, progress shown, closed when the command ends. */
  async registry(flags: RegistryFlags, extra: ProviderRegistryOptions = {}): Promise<ProviderRegistry> {
    const { createProviderRegistry, debugEnabled } = await import('@mediaconduit/core');
    // The debug log: `--debug`, or `DEBUG` naming `mediaconduit:*` (or a matching pattern).
    const debug = this.debug || debugEnabled('mediaconduit:registry', this.io.env.DEBUG ?? '');
    const env = this.debug ? { ...this.io.env, DEBUG: 'mediaconduit:*' } : this.io.env;
    if (typeof flags.cacheDir === 'string') this.pathFlag('--cache-dir', flags.cacheDir);
    if (typeof flags.lockfile === 'string') this.pathFlag('--lockfile', flags.lockfile);
    const registry = createProviderRegistry({
      env,
      logger: this.logger(debug),
      onProgress: this.progress.onLoadEvent,
      ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
      ...(flags.lockfile !== undefined ? { lockfile: flags.lockfile } : {}),
      ...(flags.offline ? { offline: true } : {}),
      ...(flags.frozen ? { frozen: true } : {}),
      ...(flags.isolation ? { isolation: flags.isolation } : {}),
      ...extra,
    });
    this.registries.push(registry);
    return registry;
  }

  /** `--config key=value` pairs as the provider's settings. */
  config(flags: RegistryFlags): Record<string, unknown> | undefined {
    return flags.config && flags.config.length > 0 ? parsePairs(flags.config, '--config') : undefined;
  }

  /** Closes what the command opened. */
  async close(): Promise<void> {
    this.progress.stop();
    for (const registry of this.registries.splice(0)) await registry.close().catch(() => {});
  }
}

/**
 * `key=value` pairs as an object. A value that reads as JSON (a number, `true`, `[1,2]`, `"text"`)
 * is that value; anything else is a string. `kebab-case` keys become `camelCase` (`max-tokens` → `maxTokens`).
 */
export function parsePairs(pairs: readonly string[], flag: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag} "${pair}" is not key=value (for example ${flag} seed=7)`);
    const key = pair.slice(0, at).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new UsageError(`${flag} "${pair}": "${key}" is not a valid key`);
    const raw = pair.slice(at + 1);
    let value: unknown = raw;
    if (/^(-?\d|true$|false$|null$|[[{"])/.test(raw)) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    result[key] = value;
  }
  return result;
}
