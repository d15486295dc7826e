import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { installDependencies, providerDependencies } from '../build/install-dependencies.js';
import { npmRegistryUrl } from '../build/npm-registry-url.js';
import { ensureEntry } from '../cache/ensure-entry.js';
import type { ProviderSource } from '../source/provider-source.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';

/** Installs the provider's npm dependencies into a cache entry keyed by its lockfile; `undefined` when it has none. */
export async function ensureDependencies(env: LoadEnvironment, source: ProviderSource, providerDir: string): Promise<string | undefined> {
  const deps = await providerDependencies(providerDir);
  if (!deps.lockHash) return undefined;
  const entry = join(env.dirs.deps, deps.lockHash.slice(0, 32));
  const names = deps.names.join(', ');
  return ensureEntry(env.dirs, {
    lock: `deps:${deps.lockHash}`,
    final: entry,
    kind: 'deps',
    waitMs: env.settings.lockWaitMs,
    read: () =>
      stat(join(entry, 'node_modules')).then(
        () => entry,
        () => undefined,
      ),
    offline: env.settings.offline ? `install ${source.specifier}: offline, and its dependencies (${names}) are not in the cache; run once online` : undefined,
    onCached: () => env.emit({ specifier: source.specifier, phase: 'install', status: 'cached', detail: names }),
    create: (temporary) =>
      timedStep(env, source.specifier, 'install', names, () =>
        installDependencies(providerDir, temporary, {
          timeoutMs: env.settings.installTimeoutMs,
          signal: env.signal,
          npmRegistry: () => npmRegistryUrl(env.settings.npmRegistry, env.settings.env),
          debug: env.debug,
        }),
      ),
  });
}
