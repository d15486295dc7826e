import { join } from 'node:path';
import { installDependencies, providerDependencies } from '../build/install-dependencies.js';
import { npmRegistryUrl } from '../build/npm-registry-url.js';
import { readDependenciesRecord, writeDependenciesRecord } from '../cache/dependencies-record.js';
import { ensureEntry } from '../cache/ensure-entry.js';
import { gitTreeHash } from '../git/tree-hash.js';
import type { ProviderSource } from '../source/provider-source.js';
import { mcError } from '../util/errors.js';
import { within } from '../util/within.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';
import { verifyDependencies } from './verify.js';

/**
 * The install step: the provider's npm dependencies, in a cache entry keyed by its `package.json`
 * and lockfile (shared by every provider version with the same ones), installed in this process
 * from the registry only; `undefined` when it has none. A reused entry is verified against the
 * tree hash recorded when it was installed. The time limit covers the whole step, from its first
 * read, and when it fires every fetch and unpack stops.
 */
export async function ensureDependencies(env: LoadEnvironment, source: ProviderSource, providerDir: string): Promise<string | undefined> {
  const label = source.specifier;
  const controller = new AbortController();
  const onAbort = () => controller.abort(env.signal.reason);
  env.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await within(
      env.settings.installTimeoutMs,
      install(env, source, providerDir, controller.signal).catch((error: unknown) => {
        throw controller.signal.aborted ? controller.signal.reason : error;
      }),
      () =>
        mcError(
          'TIMEOUT',
          `install ${label}: the dependencies were not installed within ${env.settings.installTimeoutMs} ms; raise the \`installTimeoutMs\` option or check the network`,
          {
            retryable: true,
          },
        ),
      (error) => controller.abort(error),
    );
  } finally {
    env.signal.removeEventListener('abort', onAbort);
  }
}

async function install(env: LoadEnvironment, source: ProviderSource, providerDir: string, signal: AbortSignal): Promise<string | undefined> {
  const label = source.specifier;
  const deps = await providerDependencies(providerDir, label);
  if (!deps.lockHash || deps.lockText === undefined) return undefined;
  const { lockHash, lockText } = deps;
  const entry = join(env.dirs.deps, lockHash.slice(0, 32));
  const names = deps.names.join(', ');
  let installed = false;
  await ensureEntry(env.dirs, {
    lock: `deps:${lockHash}`,
    final: entry,
    kind: 'deps',
    waitMs: env.settings.lockWaitMs,
    signal,
    read: async () => ((await readDependenciesRecord(entry)) ? entry : undefined),
    offline: env.settings.offline ? `install ${label}: offline, and its dependencies (${names}) are not in the cache; run once online` : undefined,
    onCached: () => env.emit({ specifier: label, phase: 'install', status: 'cached', detail: names }),
    create: (temporary) =>
      timedStep(env, label, 'install', names, async () => {
        const registry = await npmRegistryUrl(env.settings.npmRegistry, env.settings.env);
        await installDependencies(lockText, temporary, {
          signal,
          registry,
          limits: { maxPackages: env.settings.maxPackages, maxPackageBytes: env.settings.maxPackageBytes, maxInstallBytes: env.settings.maxInstallBytes },
          label,
          debug: env.debug,
        });
        await writeDependenciesRecord(temporary, lockHash, await gitTreeHash(join(temporary, 'node_modules'), { root: temporary, label: `install ${label}` }));
        installed = true;
      }),
  });
  if (!installed) await verifyDependencies(label, entry);
  return entry;
}
