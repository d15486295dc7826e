import type { LoggerV1, ProviderContextV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { createHttpClient } from '../http/http-client.js';
import type { ManifestEnvVar } from '../manifest/manifest.js';

/**
 * The loader's own Git credentials. A provider never gets them from the host's environment, even
 * when its manifest declares one of these names: only a value passed on purpose in
 * `config.env` reaches it.
 */
export const LOADER_CREDENTIALS: ReadonlySet<string> = new Set(['GITHUB_TOKEN', 'GH_TOKEN', 'MEDIACONDUIT_GIT_TOKEN']);

/** Builds the context a provider factory receives. */
export function createProviderContext(options: {
  manifest: { id: string; name: string; version: string; env: readonly ManifestEnvVar[] };
  config: Readonly<Record<string, unknown>>;
  dispatcher: object | undefined;
  logger: LoggerV1;
  signal: AbortSignal;
  environment?: NodeJS.ProcessEnv;
  now?: (() => number) | undefined;
  dataDir?: string | undefined;
}): ProviderContextV1 {
  const declared = new Map(options.manifest.env.map((v) => [v.name, v]));
  const overrides = (options.config.env ?? {}) as Readonly<Record<string, string | undefined>>;
  const environment = options.environment ?? process.env;
  const env = (name: string) => (declared.has(name) ? (overrides[name] ?? (LOADER_CREDENTIALS.has(name) ? undefined : environment[name])) : undefined);
  return {
    specificationVersion: 'v1',
    manifest: { id: options.manifest.id, name: options.manifest.name, version: options.manifest.version },
    config: options.config,
    env,
    requireEnv(name) {
      const value = env(name);
      if (value) return value;
      const variable = declared.get(name);
      throw mcError(
        'MISSING_CONFIGURATION',
        variable && LOADER_CREDENTIALS.has(name)
          ? `${options.manifest.id}: ${name} is the loader's own Git credential, so it is never read from the environment for a provider; pass a value for the provider on purpose with { config: { env: { ${name}: … } } }`
          : variable
            ? `${options.manifest.id}: ${name} is not set (${variable.description || 'see the provider README'}); export ${name}=… or pass { config: { env: { ${name}: … } } } to getProvider`
            : `${options.manifest.id}: ${name} is not declared under env in MediaConduit.provider.yml; declare it there to read it`,
      );
    },
    dispatcher: options.dispatcher,
    createHttpClient: (clientOptions) =>
      createHttpClient(options.dispatcher && clientOptions.dispatcher === undefined ? { ...clientOptions, dispatcher: options.dispatcher } : clientOptions),
    logger: options.logger,
    signal: options.signal,
    now: options.now ?? Date.now,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  };
}
